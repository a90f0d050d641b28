import { afterEach, describe, expect, it } from "vitest";
import { AutonomyMode, ObjectiveOutcome, ObjectiveStatus, type Objective } from "../../gen/pushpals/v1/autonomy_pb.js";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { retryingWorktreeRace } from "../../shared/worktree-race.js";
import { waitFor } from "../sandbox/fixtures.js";
import { git } from "../support/git.js";
import { eventsOf, outline, readAuditLog } from "./support/audit-log.js";
import { startSystem, type SystemUnderTest } from "./support/system-under-test.js";

/** Autonomy on, a pass a second, the project's test as the check it runs on main; nothing else collects. */
const AUTONOMY_ON = `
[autonomy]
mode = "on"
interval_seconds = 1
lease_seconds = 5

[autonomy.commands]
checks = [{ name = "test", command = "node test.js", timeout_seconds = 60 }]

[autonomy.kinds.todo]
enabled = false

[autonomy.kinds.failed_request]
enabled = false
`;

/**
 * Issue 14's first acceptance item, on the embedded system (`pushpals up`, SQLite, the
 * scripted model): the demo project's test fails on main, and with no message from anyone
 * autonomy finds it, passes the gates, dispatches it, and the normal planner → runner →
 * integration pipeline merges the fix; the outcome is merged and the kind's prior moves.
 */
describe("autonomy on the embedded system", () => {
  let system: SystemUnderTest | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it("a failing test on main becomes an objective that is dispatched and merged with no person's message", async () => {
    system = await startSystem({ mode: "embedded", script: "fix-math.jsonl", leaseSeconds: 10, extraToml: AUTONOMY_ON });
    const { clients } = system;
    let objective: Objective | undefined;
    const describeState = async () =>
      `objectives ${JSON.stringify((await clients.autonomy.getAutonomyStatus({})).objectives.map((o) => [o.key, ObjectiveStatus[o.status], ObjectiveOutcome[o.outcome], o.comment]))}\n${await system!.logTail(40)}`;
    await waitFor(
      "the autonomous objective to finish",
      async () => {
        objective = (await clients.autonomy.getAutonomyStatus({})).objectives.find((o) => o.status === ObjectiveStatus.FINISHED);
        return objective !== undefined;
      },
      100_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; ${await describeState()}`);
    });
    expect(objective, await describeState()).toMatchObject({
      key: "failing_test:test",
      outcome: ObjectiveOutcome.MERGED,
      evidence: expect.stringContaining("FAIL add(2, 3): expected 5, got -1"),
    });

    const status = await clients.autonomy.getAutonomyStatus({});
    expect(status.state?.mode).toBe(AutonomyMode.ON);
    // One outcome folded in: 0.3 · 1 + 0.7 · 0.5.
    expect(status.priors.map((p) => [p.kind, p.samples, Number(p.value.toFixed(3))])).toEqual([["failing_test", 1, 0.65]]);
    // Main still fails until the pull request lands, but the merged target cools down instead of looping.
    await waitFor("a pass after the merge", async () => ((await clients.autonomy.getAutonomyStatus({})).evaluation?.candidates.length ?? 0) > 0, 15_000);
    const after = await clients.autonomy.getAutonomyStatus({});
    expect(after.evaluation?.candidates.map((c) => [c.key, c.skipped])).toEqual([["failing_test:test", expect.stringMatching(/cooling down .* ended merged$/)]]);
    expect(after.objectives).toHaveLength(1);

    // The work went through the ordinary pipeline, in the objective's own session, with no message from a person.
    const log = await readAuditLog(clients, objective!.sessionId);
    expect(eventsOf(log, "message"), outline(log)).toEqual([]);
    for (const step of ["requestEnqueued", "planCreated", "jobEnqueued", "agentStep", "completionCompleted", "objectiveUpdated"] as const) {
      expect(eventsOf(log, step).length, `${step} in\n${outline(log)}`).toBeGreaterThan(0);
    }
    // Every event of the request, its job and its completion carries the objective's id.
    expect(log.filter((e) => e.objectiveId !== objective!.id).map((e) => `${e.seq} ${e.payload.case}`)).toEqual([]);
    const { items: requests } = await clients.queues.listItems({ queue: QueueName.REQUESTS, sessionId: objective!.sessionId });
    expect(requests.map((r) => [r.id, r.status, r.priority])).toEqual([[objective!.requestId, ItemStatus.COMPLETED, Priority.BACKGROUND]]);
    expect(requests[0]!.payload?.kind.value).toMatchObject({ origin: "autonomy", objectiveId: objective!.id });
    // The fix is on the integration branch.
    expect(await git(system.repo, "show", "main_agents:src/math.js")).toContain("return a + b;");

    // Someone reverts the fix on the integration branch: the next pass marks the objective reverted and the prior drops.
    const checkout = `${system.dir}/revert`;
    const before = await git(system.repo, "rev-parse", "main_agents");
    const { repo } = system;
    // The runner's pool may be adding a spare worktree of this repository right now.
    await retryingWorktreeRace(() => git(repo, "worktree", "add", "--detach", checkout, "main_agents"));
    await git(checkout, "revert", "--no-edit", "HEAD");
    await git(system.repo, "update-ref", "refs/heads/main_agents", await git(checkout, "rev-parse", "HEAD"), before);
    await waitFor(
      "the objective to be marked reverted",
      async () => (await clients.autonomy.getAutonomyStatus({})).objectives.some((o) => o.id === objective!.id && o.outcome === ObjectiveOutcome.REVERTED),
      20_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; ${await describeState()}`);
    });
    const reverted = await clients.autonomy.getAutonomyStatus({});
    // 0.3 · 0 + 0.7 · 0.65.
    expect(reverted.priors.map((p) => [p.kind, p.samples, Number(p.value.toFixed(3))])).toEqual([["failing_test", 2, 0.455]]);
    await retryingWorktreeRace(() => git(repo, "worktree", "remove", "--force", checkout));
  }, 150_000);
});
