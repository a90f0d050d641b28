import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApprovalKind } from "../../gen/pushpals/v1/approvals_pb.js";
import { AutonomyMode, ObjectiveOutcome, ObjectiveStatus } from "../../gen/pushpals/v1/autonomy_pb.js";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { runPass, type PassDeps } from "../../services/planner/autonomy/dispatcher.js";
import { ALL_COLLECTORS } from "../../services/planner/autonomy/collectors/all-collectors.js";
import { loadConfig } from "../../shared/config/load.js";
import { createLogger } from "../../shared/log.js";
import { durationFromMs } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { initRepo, writeFiles, git } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { processSandboxCommands } from "./fixtures/repo-commands.js";

const FAILING_TEST = {
  "src/math.js": "export function add(a, b) {\n  return a - b;\n}\n",
  "test.js": 'import { add } from "./src/math.js";\nif (add(2, 3) !== 5) {\n  console.error(`FAIL add(2, 3): expected 5, got ${add(2, 3)}`);\n  process.exit(1);\n}\n',
  "package.json": '{ "type": "module" }\n',
};

/**
 * One pass of the dispatcher at a time, on a real control plane (SQLite) and a real git
 * repository whose test fails: the collectors run the configured commands on an export of main.
 */
describe("the dispatcher's pass", () => {
  let cp: TestControlPlane;
  let repo: TempDir;
  const holder = "planner-pass";
  const deps = (overrides: Record<string, unknown> = {}): PassDeps => ({
    clients: cp.clients,
    config: loadConfig({
      env: {},
      overrides: {
        "autonomy.commands.checks": [{ name: "test", command: "node test.js" }],
        "autonomy.commands.outdated": [
          { name: "npm", command: `echo '{"lodash":{"current":"4.0.0","wanted":"4.0.0","latest":"5.0.0"},"left-pad":{"current":"1.0.0","latest":"1.3.0"}}'` },
        ],
        "autonomy.todoMaxFiles": 0,
        "autonomy.kinds.failedRequest.enabled": false,
        "autonomy.gates.dispatchesPerHour": 10,
        "autonomy.gates.maxInFlight": 5,
        ...overrides,
      },
    }).autonomy,
    collectors: ALL_COLLECTORS,
    runCommand: processSandboxCommands(),
    repoPath: repo.path,
    baseBranch: "main",
    holder,
    logger: createLogger("autonomy-test"),
  });
  const signal = new AbortController().signal;
  const status = () => cp.clients.autonomy.getAutonomyStatus({});

  beforeAll(async () => {
    cp = await startTestControlPlane({ store: "sqlite" });
    repo = await tempDir("pushpals-autonomy-repo-");
    await initRepo(repo.path, FAILING_TEST);
  });
  afterAll(async () => {
    await cp?.stop();
    await repo?.remove();
  });
  beforeEach(async () => {
    await cp.clients.autonomy.acquireDispatchLease({ holder, ttl: durationFromMs(60_000) });
  });

  it("while off, the pass stops at the enabled gate and the status says so", async () => {
    const evaluation = await runPass(deps(), signal);
    expect(evaluation.summary).toBe("blocked by enabled: autonomy is off (pushpals autonomy on)");
    const stored = (await status()).evaluation!;
    expect(stored.holder).toBe(holder);
    expect(stored.gates.find((g) => !g.passed)).toMatchObject({ gate: "enabled", reason: "autonomy is off (pushpals autonomy on)" });
    expect(stored.candidates).toEqual([]);
  });

  it("a dirty repository blocks at repo_clean, with the path", async () => {
    await cp.clients.autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "test" });
    await writeFiles(repo.path, { "notes.txt": "scratch\n" });
    expect((await runPass(deps(), signal)).summary).toBe("blocked by repo_clean: uncommitted changes in notes.txt");
    await git(repo.path, "clean", "-fdq");
  });

  it("the failing test becomes the best candidate with its output as evidence and is dispatched; after it fails, its cooldown keeps it back", async () => {
    const first = await runPass(deps(), signal);
    expect(first.candidates[0]).toMatchObject({ key: "failing_test:test", skipped: "", evidence: expect.stringContaining("FAIL add(2, 3): expected 5, got -1") });
    expect(first.summary).toMatch(/^dispatched failing_test:test as req_/);
    const objective = (await status()).objectives[0]!;
    expect(objective).toMatchObject({ key: "failing_test:test", status: ObjectiveStatus.DISPATCHED });
    const { item } = await cp.clients.queues.getItem({ itemId: objective.requestId });
    expect(item?.payload?.kind.value).toMatchObject({ origin: "autonomy", objectiveId: objective.id, text: expect.stringContaining("FAIL add(2, 3)") });

    // The planner fails it for good: the next pass settles it failed and the target cools down.
    const claimed = await cp.clients.queues.claim({ queue: QueueName.REQUESTS, workerId: "planner-x" });
    await cp.clients.queues.fail({ itemId: claimed.item!.id, leaseToken: claimed.leaseToken, error: "no plan", mode: FailMode.FINAL });
    const second = await runPass(deps({ "autonomy.kinds.outdated.enabled": false }), signal);
    const after = await status();
    expect(after.objectives[0]).toMatchObject({ id: objective.id, status: ObjectiveStatus.FINISHED, outcome: ObjectiveOutcome.FAILED });
    expect(second.candidates.map((c) => [c.key, c.skipped])).toEqual([["failing_test:test", expect.stringMatching(/^cooling down until .* ended failed$/)]]);
    expect(second.summary).toBe("nothing eligible: every candidate is cooling down, open or declined");
    expect(after.objectives).toHaveLength(1);
    expect(after.priors.find((p) => p.kind === "failing_test")?.value).toBeCloseTo(0.35);
    // With no cooldown it would have gone again.
    const third = await runPass(deps({ "autonomy.kinds.outdated.enabled": false, "autonomy.cooldowns.failureSeconds": 0 }), signal);
    expect(third.summary).toMatch(/^dispatched failing_test:test/);
  });

  it("the kill switch stops a pass in progress: turned off while the checks run, nothing is dispatched; the running request is flagged to stop", async () => {
    const { autonomy, queues } = cp.clients;
    await autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "test" });
    // An objective already dispatched and being planned, which the switch must stop too.
    const running = (await status()).objectives.find((o) => o.status === ObjectiveStatus.DISPATCHED && o.key === "failing_test:test")!;
    const claimed = await queues.claim({ queue: QueueName.REQUESTS, workerId: "planner-x" });
    expect(claimed.item?.id).toBe(running.requestId);
    const before = (await status()).objectives.length;
    const slow = deps({ "autonomy.kinds.outdated.enabled": false, "autonomy.commands.checks": [{ name: "slow", command: "sleep 1.5; exit 1" }] });
    const pass = runPass(slow, signal).then(
      () => "dispatched",
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    const started = Date.now();
    const off = await autonomy.setAutonomyMode({ mode: AutonomyMode.OFF, by: "ann" });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(off.cancelledItemIds).toEqual([running.requestId]);
    expect(await pass).toMatch(/autonomy is off; nothing is dispatched/);
    expect((await status()).objectives).toHaveLength(before);
    // The planner holding the request learns it on its next renewal and stops.
    expect((await queues.renewLease({ itemId: claimed.item!.id, leaseToken: claimed.leaseToken })).cancelRequested).toBe(true);
    await queues.fail({ itemId: claimed.item!.id, leaseToken: claimed.leaseToken, error: "cancelled", mode: FailMode.FINAL });
    await autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "test" });
  });

  it("a risky candidate becomes a question; yes dispatches it on the next pass, no drops it and it stays dropped", async () => {
    const only = { "autonomy.kinds.failingTest.enabled": false };
    const asked = await runPass(deps(only), signal);
    // A minor upgrade is expected to touch fewer files than a major one: it scores higher.
    expect(asked.candidates.map((c) => c.key)).toEqual(["outdated:left-pad", "outdated:lodash"]);
    expect(asked.summary).toMatch(/^asked about outdated:left-pad \(approval apr_/);
    const leftPad = (await status()).objectives.find((o) => o.key === "outdated:left-pad")!;
    expect(leftPad.status).toBe(ObjectiveStatus.QUESTIONED);
    const approval = (await cp.clients.approvals.getApproval({ id: leftPad.approvalId })).approval!;
    expect(approval).toMatchObject({ kind: ApprovalKind.AUTONOMY_OBJECTIVE, subject: expect.stringContaining("left-pad 1.0.0 → 1.3.0") });

    // While that question is open, the next candidate is asked about too.
    const askedAgain = await runPass(deps(only), signal);
    expect(askedAgain.summary).toMatch(/^asked about outdated:lodash/);
    const lodash = (await status()).objectives.find((o) => o.key === "outdated:lodash")!;

    await cp.clients.approvals.approve({ id: leftPad.approvalId, answeredBy: "ann" });
    await cp.clients.approvals.deny({ id: lodash.approvalId, answeredBy: "ann", comment: "lodash 5 breaks us" });
    const answered = await runPass(deps(only), signal);
    expect(answered.summary).toMatch(/^dispatched approved outdated:left-pad as req_/);
    const objectives = (await status()).objectives;
    expect(objectives.find((o) => o.id === leftPad.id)).toMatchObject({ status: ObjectiveStatus.DISPATCHED, requestId: expect.stringMatching(/^req_/) });
    expect(objectives.find((o) => o.id === lodash.id)).toMatchObject({ status: ObjectiveStatus.DECLINED, outcome: ObjectiveOutcome.DENIED });

    const later = await runPass(deps(only), signal);
    expect(later.candidates.map((c) => [c.key, c.skipped])).toEqual([
      ["outdated:left-pad", `already open as ${leftPad.id}`],
      ["outdated:lodash", `declined before (${lodash.id}): declined by ann: lodash 5 breaks us`],
    ]);
    expect(later.summary).toBe("nothing eligible: every candidate is cooling down, open or declined");
    expect((await status()).objectives.filter((o) => o.key === "outdated:lodash")).toHaveLength(1);
  });
});
