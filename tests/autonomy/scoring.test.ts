import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CandidateSchema, KindPriorSchema, ObjectiveOutcome, ObjectiveSchema, ObjectiveStatus } from "../../gen/pushpals/v1/autonomy_pb.js";
import { loadConfig } from "../../shared/config/load.js";
import { toTimestamp } from "../../shared/time.js";
import { needsQuestion, rankCandidates, scoreOf, skipReason } from "../../services/planner/autonomy/scoring.js";

const NOW = Date.UTC(2026, 11, 4, 12, 0);
const config = loadConfig({ env: {} }).autonomy;
const candidate = (kind: string, target: string, extra: Partial<{ evidenceStrength: number; estimatedFiles: number; evidence: string }> = {}) =>
  create(CandidateSchema, { kind, target, title: `${kind} ${target}`, evidence: "seen", evidenceStrength: 1, estimatedFiles: 1, ...extra });
const finished = (key: string, outcome: ObjectiveOutcome, agoMs: number) =>
  create(ObjectiveSchema, {
    id: `obj_${key}`,
    key,
    kind: key.split(":")[0],
    status: ObjectiveStatus.FINISHED,
    outcome,
    finishedAt: toTimestamp(NOW - agoMs),
    dispatchedAt: toTimestamp(NOW - agoMs - 60_000),
  });

describe("scoring and cooldowns", () => {
  it("scores from kind priority, evidence strength, size and the learned prior", () => {
    const strong = candidate("failing_test", "t");
    expect(scoreOf(strong, 90, 0.5)).toBe(90);
    expect(scoreOf(candidate("failing_test", "t", { evidenceStrength: 0 }), 90, 0.5)).toBe(45);
    expect(scoreOf(candidate("failing_test", "t", { estimatedFiles: 5 }), 90, 0.5)).toBe(45);
    expect(scoreOf(strong, 90, 1)).toBe(135);
    expect(scoreOf(strong, 90, 0)).toBe(45);
  });

  it("ranks best first, merges duplicates, drops disabled kinds, and a better prior lifts a kind", () => {
    const found = [candidate("todo", "a.js"), candidate("lint", "tsc"), candidate("failing_test", "test"), candidate("lint", "tsc", { evidenceStrength: 0.2, evidence: "weaker" })];
    const ranked = rankCandidates(found, [], [], config, NOW);
    expect(ranked.map((c) => [c.key, Math.round(c.score)])).toEqual([
      ["failing_test:test", 90],
      ["lint:tsc", 60],
      ["todo:a.js", 10],
    ]);
    expect(ranked[1]!.evidence).toBe("seen\n---\nweaker");
    const lifted = rankCandidates(found, [], [create(KindPriorSchema, { kind: "lint", value: 1 }), create(KindPriorSchema, { kind: "failing_test", value: 0.25 })], config, NOW);
    expect(lifted[0]!.key).toBe("lint:tsc");
    const noTests = loadConfig({ env: {}, overrides: { "autonomy.kinds.failingTest.enabled": false } }).autonomy;
    expect(rankCandidates(found, [], [], noTests, NOW).map((c) => c.key)).not.toContain("failing_test:test");
  });

  it("a failed objective's target is not tried again within its cooldown, then it is", () => {
    const c = candidate("failing_test", "test");
    c.key = "failing_test:test";
    const hour = 3_600_000;
    expect(skipReason(c, [finished("failing_test:test", ObjectiveOutcome.FAILED, hour)], config, NOW)).toMatch(/^cooling down until .* after obj_failing_test:test ended failed$/);
    expect(skipReason(c, [finished("failing_test:test", ObjectiveOutcome.FAILED, 7 * hour)], config, NOW)).toBe("");
    expect(skipReason(c, [finished("failing_test:test", ObjectiveOutcome.MERGED, 7 * hour)], config, NOW)).toMatch(/ended merged$/);
    // Another target of the kind is free, unless the kind itself cools down.
    expect(skipReason(c, [finished("failing_test:other", ObjectiveOutcome.FAILED, hour)], config, NOW)).toBe("");
    const kindCooldown = loadConfig({ env: {}, overrides: { "autonomy.cooldowns.kindSeconds": 7200 } }).autonomy;
    expect(skipReason(c, [finished("failing_test:other", ObjectiveOutcome.FAILED, hour)], kindCooldown, NOW)).toMatch(/^kind failing_test cooling down/);
    const ranked = rankCandidates([c, candidate("lint", "tsc")], [finished("failing_test:test", ObjectiveOutcome.FAILED, hour)], [], config, NOW);
    expect(ranked.map((r) => [r.key, r.skipped !== ""])).toEqual([
      ["lint:tsc", false],
      ["failing_test:test", true],
    ]);
  });

  it("a declined key is remembered for good; an open one is not proposed twice", () => {
    const c = candidate("outdated", "lodash");
    c.key = "outdated:lodash";
    const declined = create(ObjectiveSchema, {
      id: "obj_1",
      key: "outdated:lodash",
      status: ObjectiveStatus.DECLINED,
      outcome: ObjectiveOutcome.DENIED,
      comment: "declined by ann: no",
    });
    expect(skipReason(c, [declined], config, NOW + 365 * 86_400_000)).toBe("declined before (obj_1): declined by ann: no");
    expect(skipReason(c, [create(ObjectiveSchema, { id: "obj_2", key: "outdated:lodash", status: ObjectiveStatus.QUESTIONED })], config, NOW)).toBe("already open as obj_2");
  });

  it("asks when the kind is risky or the evidence weak", () => {
    const [test, outdated, todo] = rankCandidates(
      [candidate("outdated", "lodash"), candidate("failing_test", "test"), candidate("todo", "a.js", { evidenceStrength: 0.3 })],
      [],
      [],
      config,
      NOW,
    ).sort((a, b) => a.kind.localeCompare(b.kind));
    expect([test!.kind, needsQuestion(test!, config)]).toEqual(["failing_test", false]);
    expect([outdated!.kind, needsQuestion(outdated!, config)]).toEqual(["outdated", true]);
    expect([todo!.kind, needsQuestion(todo!, config)]).toEqual(["todo", true]);
  });
});
