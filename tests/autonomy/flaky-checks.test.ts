import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutonomyMode, ObjectiveStatus } from "../../gen/pushpals/v1/autonomy_pb.js";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { flakyChecks } from "../../services/planner/autonomy/collectors/flaky-checks.js";
import { runPass } from "../../services/planner/autonomy/dispatcher.js";
import { loadConfig } from "../../shared/config/load.js";
import { createLogger } from "../../shared/log.js";
import { durationFromMs } from "../../shared/time.js";
import { createServiceScene, type ServiceScene } from "../integration/support/service-scene.js";
import { git } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { processSandboxCommands } from "./fixtures/repo-commands.js";

const mergedSha = (item: QueueItem) => (item.result?.kind.case === "completion" ? item.result.kind.value.mergedSha : "");

/**
 * The flaky-check collector on real integration history: the integration worker runs real
 * checks on real merged trees and records their results through a real control plane. One
 * check fails only on its first run ever, so the same change integrated twice gives the same
 * tree a failure and then a pass; another check fails every time on a broken tree, which is
 * a broken change, not a flaky check.
 */
describe("the flaky-check collector", () => {
  let s: ServiceScene;
  let scratch: TempDir;
  const done: Record<"firstTry" | "retry" | "broken1" | "broken2" | "later", QueueItem> = {} as never;
  const config = () =>
    loadConfig({ env: {}, overrides: { "autonomy.gates.dispatchesPerHour": 10, "autonomy.gates.maxInFlight": 5, "autonomy.gates.requireCleanRepo": false } }).autonomy;
  const context = () => ({
    clients: s.cp.clients,
    config: config(),
    repoPath: s.git.repo,
    baseBranch: "main",
    baseTree: () => Promise.reject(new Error("the flaky-check collector reads history, not the tree")),
    runCommand: () => Promise.reject(new Error("the flaky-check collector runs no command")),
    signal: new AbortController().signal,
  });

  beforeAll(async () => {
    s = await createServiceScene();
    scratch = await tempDir("pushpals-flaky-");
    const marker = join(scratch.path, "ran-once");
    const checks = [
      { name: "not-broken", command: "test ! -e broken.txt || { echo 'broken.txt must not exist' >&2; exit 3; }", timeoutSeconds: 60 },
      // Fails the first time it ever runs, whatever the tree: a flaky check.
      { name: "flaky", command: `test -e '${marker}' || { touch '${marker}'; echo 'connection reset by peer' >&2; exit 1; }`, timeoutSeconds: 60 },
    ];
    const worker = s.startWorker({ overrides: { "integration.checks": checks } });
    const run = async (files: Record<string, string>, status: ItemStatus) => s.waitFor((await s.enqueue(await s.git.job(files))).id, [status]);
    done.firstTry = await run({ "a.txt": "a\n" }, ItemStatus.FAILED);
    // The same change again, on the same integration tip: the same tree.
    done.retry = await run({ "a.txt": "a\n" }, ItemStatus.COMPLETED);
    done.broken1 = await run({ "broken.txt": "x\n" }, ItemStatus.FAILED);
    done.broken2 = await run({ "broken.txt": "x\n" }, ItemStatus.FAILED);
    done.later = await run({ "c.txt": "c\n" }, ItemStatus.COMPLETED);
    await worker.stop();
  }, 90_000);
  afterAll(async () => {
    await s?.close();
    await scratch?.remove();
  });

  it("finds the check that failed and passed on one tree, with the flip as evidence, and not the one that fails every time on a broken tree", async () => {
    const tree = await git(s.git.repo, "rev-parse", `${mergedSha(done.retry)}^{tree}`);
    const found = await flakyChecks.collect(context());
    expect(found.map((c) => [c.kind, c.key, c.target])).toEqual([["flaky_check", "flaky_check:flaky", "flaky"]]);
    const [candidate] = found;
    expect(candidate!.title).toBe('stabilize flaky check "flaky": it passed and failed on the same tree (1 tree)');
    expect(candidate!.evidence).toContain(`tree ${tree.slice(0, 12)}: failed (exit 1) in ${done.firstTry.id}, passed in ${done.retry.id}`);
    expect(candidate!.evidence).toContain("connection reset by peer");
    expect(candidate!.evidenceStrength).toBeCloseTo(0.75);
  });

  it("a pass proposes it as an objective and dispatches it as a request carrying the flip", async () => {
    const holder = "planner-flaky";
    await s.cp.clients.autonomy.acquireDispatchLease({ holder, ttl: durationFromMs(60_000) });
    await s.cp.clients.autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "test" });
    const evaluation = await runPass(
      {
        clients: s.cp.clients,
        config: config(),
        collectors: [flakyChecks],
        runCommand: processSandboxCommands(),
        repoPath: s.git.repo,
        baseBranch: "main",
        holder,
        logger: createLogger("autonomy-test"),
      },
      new AbortController().signal,
    );
    expect(evaluation.summary).toMatch(/^dispatched flaky_check:flaky as req_/);
    // Priority 70 from the config kind, scored like any other.
    expect(evaluation.candidates.map((c) => [c.key, c.skipped])).toEqual([["flaky_check:flaky", ""]]);
    const objective = (await s.cp.clients.autonomy.getAutonomyStatus({})).objectives.find((o) => o.key === "flaky_check:flaky")!;
    expect(objective.status).toBe(ObjectiveStatus.DISPATCHED);
    const { item } = await s.cp.clients.queues.getItem({ itemId: objective.requestId });
    expect(item?.payload?.kind.value).toMatchObject({ origin: "autonomy", text: expect.stringContaining(`failed (exit 1) in ${done.firstTry.id}, passed in ${done.retry.id}`) });
  });
});
