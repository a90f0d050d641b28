import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { CompletionResult, QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import type { MergeStrategy } from "../../services/integration/settings.js";
import { CONFLICT_OPTIONS } from "../../services/integration/worker/ask-person.js";
import { newId } from "../../shared/ids.js";
import { git } from "../support/git.js";
import { history } from "./support/scene.js";
import { until } from "./support/service-child.js";
import { createServiceScene, type ServiceScene } from "./support/service-scene.js";
import { ErrorCode, MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";
import { strategyEnum } from "../../services/integration/strategy-enum.js";

function completionResult(item: QueueItem): CompletionResult {
  if (item.result?.kind.case !== "completion") throw new Error(`${item.id} has no CompletionResult (${ItemStatus[item.status]}: ${item.lastError})`);
  return item.result.kind.value;
}

/** Event kinds in order, with the integration step's stage: "integrationStep:check". */
function timeline(events: Event[]): string[] {
  return events.map((e) => (e.payload.case === "integrationStep" ? `integrationStep:${e.payload.value.stage}` : (e.payload.case ?? "")));
}

const NOT_BROKEN = { name: "not-broken", command: "echo checking the merged tree; test ! -e broken.txt || { echo 'broken.txt must not exist' >&2; exit 3; }", timeoutSeconds: 60 };

describe("integration service: each outcome through the queue", () => {
  let s: ServiceScene;

  beforeEach(async () => {
    s = await createServiceScene();
  });
  afterEach(async () => {
    await s.close();
  });

  for (const strategy of ["cherry-pick", "no-ff", "ff-only"] as MergeStrategy[]) {
    it(`${strategy}: enqueued → claimed → merged, checked, pushed → completed with its CompletionResult`, async () => {
      s.startWorker({ overrides: { "integration.strategy": strategy, "integration.checks": [NOT_BROKEN] } });
      const job = await s.git.job({ "a.txt": "a\n" });
      const item = await s.enqueue(job);

      const done = await s.waitFor(item.id, [ItemStatus.COMPLETED]);
      const result = completionResult(done);
      expect(result).toMatchObject({ integrationBranch: "main_agents", strategy: strategyEnum(strategy), pushed: true, alreadyMerged: false, prUrl: "" });
      expect(result.checks.map((c) => [c.name, c.passed])).toEqual([["not-broken", true]]);
      expect(await s.git.remoteRef("refs/heads/main_agents")).toBe(result.mergedSha);
      if (strategy === "ff-only") expect(result.mergedSha).toBe(job.sha);
      const log = await history(s.git.remote, "main_agents");
      expect(log.filter((c) => c.jobs.includes(job.jobId)).length).toBeGreaterThan(0);
      expect(await git(s.git.remote, "show", "main_agents:a.txt")).toBe("a");
      expect(done.attempts).toBe(1);
      expect(done.claimedBy).toMatch(/^integration-/);

      // The audit log tells the story in order, all about the completion.
      const events = await s.events(item.id);
      const kinds = timeline(events);
      expect(kinds[0]).toBe("completionEnqueued");
      expect(kinds[1]).toBe("completionClaimed");
      expect(kinds.at(-1)).toBe("completionCompleted");
      const order = ["integrationStep:sync", "integrationStep:apply", "integrationStep:check", "integrationStep:check_output", "integrationStep:push", "completionCompleted"];
      const positions = order.map((kind) => kinds.indexOf(kind));
      expect(
        positions.every((p) => p > 0),
        kinds.join(" "),
      ).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      const output = events.flatMap((e) => (e.payload.case === "integrationStep" && e.payload.value.stage === "check_output" ? [e.payload.value] : []));
      expect(output.map((o) => o.detail).join("")).toContain("checking the merged tree");
      expect(output[0]?.check?.name).toBe("not-broken");
      // The check's result comes after its output.
      const resultAt = events.findIndex((e) => e.payload.case === "integrationStep" && e.payload.value.check?.passed === true);
      expect(resultAt).toBeGreaterThan(kinds.indexOf("integrationStep:check_output"));
      expect(events.every((e) => e.itemId === item.id)).toBe(true);
    });
  }

  it("a failing check leaves main_agents as it was and fails the completion for good with the check's output", async () => {
    s.startWorker({ overrides: { "integration.checks": [NOT_BROKEN] } });
    const good = await s.enqueue(await s.git.job({ "ok.txt": "ok\n" }));
    const tip = completionResult(await s.waitFor(good.id, [ItemStatus.COMPLETED])).mergedSha;

    const bad = await s.enqueue(await s.git.job({ "broken.txt": "oops\n" }));
    const failed = await s.waitFor(bad.id, [ItemStatus.FAILED, ItemStatus.COMPLETED, ItemStatus.DEAD_LETTER]);

    expect(failed.status).toBe(ItemStatus.FAILED);
    expect(failed.attempts).toBe(1); // final: a failing check is not retried
    expect(failed.lastError).toMatch(/check not-broken .* failed with exit code 3 .*nothing was merged/);
    expect(failed.lastError).toContain("broken.txt must not exist");
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe(tip);
    expect(await git(s.git.repo, "rev-parse", "main_agents")).toBe(tip);
    const events = await s.events(bad.id);
    const checkResult = events.flatMap((e) => (e.payload.case === "integrationStep" && e.payload.value.check?.exitCode ? [e.payload.value.check] : []));
    expect(checkResult).toHaveLength(1);
    expect(checkResult[0]).toMatchObject({ name: "not-broken", passed: false, exitCode: 3 });
    expect(timeline(events).at(-1)).toBe("completionFailed");
  });

  it("a conflict fails the completion as conflicted after enqueueing one repair job that names the files", async () => {
    s.startWorker();
    const first = await s.git.job({ "shared.txt": "one\nTWO by first\nthree\n" });
    const second = await s.git.job({ "shared.txt": "one\nTWO by second\nthree\n", "other.txt": "o\n" });
    const firstItem = await s.enqueue(first);
    const merged = completionResult(await s.waitFor(firstItem.id, [ItemStatus.COMPLETED]));
    const secondItem = await s.enqueue(second);
    const conflicted = await s.waitFor(secondItem.id, [ItemStatus.CONFLICTED, ItemStatus.FAILED, ItemStatus.COMPLETED]);

    expect(conflicted.status).toBe(ItemStatus.CONFLICTED);
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe(merged.mergedSha);
    const event = (await s.events(secondItem.id)).find((e) => e.payload.case === "completionConflicted");
    if (event?.payload.case !== "completionConflicted") throw new Error("no completion_conflicted event");
    expect(event.payload.value.conflictingFiles).toEqual(["shared.txt"]);
    const repairJobId = event.payload.value.repairJobId;
    expect(repairJobId).toMatch(/^job_/);
    expect(conflicted.lastError).toContain(repairJobId);
    expect(conflicted.lastError).toContain("shared.txt");

    const { item: repair } = await s.cp.clients.queues.getItem({ itemId: repairJobId });
    expect(repair).toMatchObject({ queue: QueueName.JOBS, status: ItemStatus.PENDING, sessionId: s.sessionId, parentId: secondItem.id, idempotencyKey: `repair:${secondItem.id}` });
    const task = repair?.payload?.kind.case === "taskExecuteV2" ? repair.payload.kind.value : undefined;
    expect(task?.lane).toBe(Lane.WORKER);
    expect(task?.baseRef).toBe("main_agents");
    expect(task?.repair).toMatchObject({ completionId: secondItem.id, branch: second.branch, ontoRef: "main_agents", conflictingFiles: ["shared.txt"], round: 1 });
    expect(task?.planning?.acceptanceCriteria).toEqual(second.planning?.acceptanceCriteria);
    expect(task?.instruction).toContain("shared.txt");
    expect(task?.instruction).toContain(`Rebase the job's branch onto main_agents`);
    expect(task?.instruction).toContain(`${second.baseSha}..${second.sha}`);
    const jobs = await s.cp.clients.queues.listItems({ queue: QueueName.JOBS });
    expect(jobs.items.map((j) => j.id)).toEqual([repairJobId]);
  });

  it("after max_conflict_rounds repairs, the next conflict asks the person and enqueues no further repair job", async () => {
    s.startWorker({ overrides: { "integration.maxConflictRounds": 1 } });
    const first = await s.enqueue(await s.git.job({ "shared.txt": "one\nTWO by first\nthree\n" }));
    await s.waitFor(first.id, [ItemStatus.COMPLETED]);
    const second = await s.enqueue(await s.git.job({ "shared.txt": "one\nTWO by second\nthree\n" }));
    const conflicted = await s.waitFor(second.id, [ItemStatus.CONFLICTED, ItemStatus.FAILED]);
    expect(conflicted.status).toBe(ItemStatus.CONFLICTED);
    const [repair] = (await s.cp.clients.queues.listItems({ queue: QueueName.JOBS })).items;
    if (!repair) throw new Error("no repair job");

    // The repair job's own completion (what the supervisor sends back) conflicts again.
    const repaired = await s.git.job({ "shared.txt": "one\nTWO by the repair\nthree\n" }, { jobId: repair.id });
    const third = await s.enqueue(repaired);
    const asked = await s.waitFor(third.id, [ItemStatus.CONFLICTED, ItemStatus.FAILED]);

    expect(asked.status).toBe(ItemStatus.CONFLICTED);
    expect(asked.lastError).toMatch(/1 repair round\(s\) spent, the person was asked/);
    const events = await s.events(third.id);
    const question = events.find((e) => e.payload.case === "question");
    const message = events.find((e) => e.payload.case === "assistantMessage");
    if (question?.payload.case !== "question" || message?.payload.case !== "assistantMessage") throw new Error(`no question: ${timeline(events).join(" ")}`);
    expect(question.payload.value.text).toContain(repair.id);
    expect(question.payload.value.text).toContain("shared.txt");
    expect(question.payload.value.text).toContain("1 repair round did not resolve it");
    expect(question.payload.value.options).toEqual([...CONFLICT_OPTIONS]);
    expect(message.payload.value).toMatchObject({ text: question.payload.value.text, source: MessageSource.INTEGRATION });
    const conflictedEvent = events.find((e) => e.payload.case === "completionConflicted");
    expect(conflictedEvent?.payload.case === "completionConflicted" && conflictedEvent.payload.value.repairJobId).toBe("");
    expect((await s.cp.clients.queues.listItems({ queue: QueueName.JOBS })).items.map((j) => j.id)).toEqual([repair.id]);
  });

  it("a completion whose commit is nowhere fails for good, says what to do, and the service goes on with the next", async () => {
    s.startWorker();
    const real = await s.git.job({ "a.txt": "a\n" });
    const ghost = await s.enqueue({ ...real, jobId: newId("job"), sha: "0123456789abcdef0123456789abcdef01234567", branch: "agent/w1/gone" });
    const failed = await s.waitFor(ghost.id, [ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.COMPLETED]);
    expect(failed.status).toBe(ItemStatus.FAILED);
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/0123456789abcdef0123456789abcdef01234567 .* is not in .*run the job again/);
    const error = (await s.events(ghost.id)).find((e) => e.payload.case === "error");
    expect(error?.payload.case === "error" && error.payload.value).toMatchObject({ code: ErrorCode.FAILED_PRECONDITION });

    const next = await s.enqueue(real);
    expect((await s.waitFor(next.id, [ItemStatus.COMPLETED, ItemStatus.FAILED])).status).toBe(ItemStatus.COMPLETED);
  });

  it("an unreachable remote is retried with backoff, and the completion merges once the remote is back", async () => {
    await git(s.git.repo, "remote", "set-url", "origin", `${s.git.root}/missing.git`);
    s.startWorker();
    const item = await s.enqueue(await s.git.job({ "a.txt": "a\n" }));
    const retrying = await s.waitUntil(item.id, "pending again after a failed attempt", (i) => i.status === ItemStatus.PENDING && i.attempts >= 1);
    expect(retrying.lastError).toMatch(/could not list the refs of remote origin/);
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe("");

    await git(s.git.repo, "remote", "set-url", "origin", s.git.remote);
    const done = await s.waitFor(item.id, [ItemStatus.COMPLETED, ItemStatus.DEAD_LETTER]);
    expect(done.status).toBe(ItemStatus.COMPLETED);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe(completionResult(done).mergedSha);
    const kinds = timeline(await s.events(item.id));
    expect(kinds).toContain("completionRequeued");
  });

  it("a cancel while a check runs kills the check; the completion ends cancelled and nothing is merged", async () => {
    const started = join(s.git.root, "check-started");
    s.startWorker({ overrides: { "integration.leaseSeconds": 3, "integration.checks": [{ name: "slow", command: `touch ${started}; sleep 30`, timeoutSeconds: 120 }] } });
    const item = await s.enqueue(await s.git.job({ "a.txt": "a\n" }));
    await until("the check started", () => existsSync(started));
    const began = Date.now();
    await s.cp.clients.queues.cancel({ itemId: item.id, reason: "changed my mind" });
    const cancelled = await s.waitFor(item.id, [ItemStatus.CANCELLED, ItemStatus.COMPLETED, ItemStatus.FAILED]);
    expect(cancelled.status).toBe(ItemStatus.CANCELLED);
    expect(Date.now() - began).toBeLessThan(10_000); // the next renewal saw the request, not the 30 s check's end
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe("");
  });

  it("stopping the service mid-check hands the completion back; the next run merges it", async () => {
    const started = join(s.git.root, "check-started");
    const slow = { name: "slow-once", command: `test -e ${started} || { touch ${started}; sleep 30; }`, timeoutSeconds: 120 };
    const worker = s.startWorker({ overrides: { "integration.checks": [slow] } });
    const item = await s.enqueue(await s.git.job({ "a.txt": "a\n" }));
    await until("the check started", () => existsSync(started));
    await worker.stop();
    const handedBack = (await s.cp.clients.queues.getItem({ itemId: item.id })).item;
    expect(handedBack?.status).toBe(ItemStatus.PENDING);
    expect(handedBack?.lastError).toMatch(/integration service stopped while integrating/);

    s.startWorker({ overrides: { "integration.checks": [slow] } });
    const done = await s.waitFor(item.id, [ItemStatus.COMPLETED, ItemStatus.DEAD_LETTER]);
    expect(done.status).toBe(ItemStatus.COMPLETED);
    expect(done.attempts).toBe(2);
  });

  it("an unexpected error on one completion fails that attempt for a retry, dead-letters it when attempts run out, and the service goes on", async () => {
    s.startWorker();
    await s.waitFor((await s.enqueue(await s.git.job({ "shared.txt": "one\nTWO by first\nthree\n" }))).id, [ItemStatus.COMPLETED]);
    // A plan the jobs queue refuses (more than 50 validation steps), so the repair job for this conflict cannot be enqueued.
    const job = await s.git.job({ "shared.txt": "one\nTWO by second\nthree\n" });
    job.planning!.validationSteps = Array.from({ length: 51 }, (_, i) => `echo ${i}`);
    const poisoned = await s.enqueue(job, { maxAttempts: 2 });
    const dead = await s.waitFor(poisoned.id, [ItemStatus.DEAD_LETTER, ItemStatus.CONFLICTED, ItemStatus.FAILED, ItemStatus.COMPLETED]);
    expect(dead.status).toBe(ItemStatus.DEAD_LETTER);
    expect(dead.attempts).toBe(2);
    expect(dead.lastError).toMatch(/^integration failed unexpectedly: .*validation_steps: must have at most 50 entries/);
    expect((await s.cp.clients.queues.listItems({ queue: QueueName.JOBS })).items).toHaveLength(0);

    const next = await s.enqueue(await s.git.job({ "next.txt": "n\n" }));
    expect((await s.waitFor(next.id, [ItemStatus.COMPLETED, ItemStatus.FAILED])).status).toBe(ItemStatus.COMPLETED);
  });

  it("a repository without the configured remote: the service waits without crashing, and starts once the remote is added", async () => {
    await git(s.git.repo, "remote", "remove", "origin");
    const worker = s.startWorker();
    const item = await s.enqueue(await s.git.job({ "a.txt": "a\n" }));
    // A negative window: for 1.5 s (several claim rounds) the worker neither crashes nor takes the item.
    const NOTHING_HAPPENS_MS = 1500;
    await new Promise((resolve) => setTimeout(resolve, NOTHING_HAPPENS_MS));
    expect(worker.error).toBeUndefined();
    expect((await s.cp.clients.queues.getItem({ itemId: item.id })).item?.status).toBe(ItemStatus.PENDING);

    await git(s.git.repo, "remote", "add", "origin", s.git.remote);
    const done = await s.waitFor(item.id, [ItemStatus.COMPLETED, ItemStatus.FAILED]);
    expect(done.status).toBe(ItemStatus.COMPLETED);
    expect(done.attempts).toBe(1);
  });
});

describe("integration service on Postgres and NATS", () => {
  let s: ServiceScene;

  beforeEach(async () => {
    s = await createServiceScene({ controlPlane: { store: "postgres", natsUrl: "nats://127.0.0.1:4222" } });
  });
  afterEach(async () => {
    await s.close();
  });

  it("a merge, a failing check and a conflict end the same way as on SQLite", async () => {
    s.startWorker({ overrides: { "integration.checks": [NOT_BROKEN] } });
    const merged = await s.enqueue(await s.git.job({ "shared.txt": "one\nTWO by first\nthree\n" }));
    const failing = await s.enqueue(await s.git.job({ "broken.txt": "x\n" }));
    const conflicting = await s.enqueue(await s.git.job({ "shared.txt": "one\nTWO by second\nthree\n" }));
    const result = completionResult(await s.waitFor(merged.id, [ItemStatus.COMPLETED]));
    expect((await s.waitFor(failing.id, [ItemStatus.FAILED, ItemStatus.COMPLETED])).status).toBe(ItemStatus.FAILED);
    expect((await s.waitFor(conflicting.id, [ItemStatus.CONFLICTED, ItemStatus.COMPLETED])).status).toBe(ItemStatus.CONFLICTED);
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe(result.mergedSha);
    expect((await s.cp.clients.queues.listItems({ queue: QueueName.JOBS })).items).toHaveLength(1);
  });
});
