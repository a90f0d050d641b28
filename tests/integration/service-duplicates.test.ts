import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import type { CompletionResult, QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { integrationWorkerId } from "../../services/integration/worker/worker-id.js";
import { git } from "../support/git.js";
import { history } from "./support/scene.js";
import { spawnServiceChild, until, type ServiceChild } from "./support/service-child.js";
import { createServiceScene, elsewhere, type ServiceScene } from "./support/service-scene.js";

function completionResult(item: QueueItem): CompletionResult {
  if (item.result?.kind.case !== "completion") throw new Error(`${item.id} has no CompletionResult (${ItemStatus[item.status]}: ${item.lastError})`);
  return item.result.kind.value;
}

describe("integration service: the same work processed twice merges once", () => {
  let s: ServiceScene;
  let child: ServiceChild | undefined;

  beforeEach(async () => {
    s = await createServiceScene();
  });
  afterEach(async () => {
    await child?.stop();
    child = undefined;
    await s.close();
  });

  it("a job sent twice (two completions): the first merges, the second completes as already merged", async () => {
    s.startWorker();
    const job = await s.git.job({ "a.txt": "a\n" });
    const first = await s.enqueue(job, { idempotencyKey: "supervisor-try-1" });
    const second = await s.enqueue(job, { idempotencyKey: "supervisor-try-2" });
    expect(second.id).not.toBe(first.id);

    const merged = completionResult(await s.waitFor(first.id, [ItemStatus.COMPLETED]));
    const again = completionResult(await s.waitFor(second.id, [ItemStatus.COMPLETED]));
    expect(merged.alreadyMerged).toBe(false);
    expect(again).toMatchObject({ alreadyMerged: true, mergedSha: merged.mergedSha, pushed: true });
    const log = await history(s.git.remote, "main_agents");
    expect(log.filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);
    const steps = (await s.events(second.id)).flatMap((e) => (e.payload.case === "integrationStep" ? [e.payload.value.stage] : []));
    expect(steps).toContain("already_merged");
    expect(steps).not.toContain("apply");
  });

  it("the lease expires mid-check (integrator frozen), another integrator claims and merges; the first wakes, finds its lease lost and merges nothing", async () => {
    const job = await s.git.job({ "a.txt": "a\n" });
    // A supervisor on another machine pushes its branch; the second integrator fetches it from there.
    await git(s.git.repo, "push", "-q", "origin", job.branch);
    const checkStarted = join(s.git.root, "check-started");
    child = spawnServiceChild(s.cp.url, {
      "repo.path": s.git.repo,
      "storage.dataDir": s.git.dataDir,
      "integration.checkDriver": "host",
      "integration.leaseSeconds": 3,
      "integration.checks": [{ name: "slow", command: `touch ${checkStarted}; sleep 10`, timeoutSeconds: 60 }],
    });
    const item = await s.enqueue(job);
    await until("the first integrator's check started", () => existsSync(checkStarted));
    child.child.kill("SIGSTOP"); // no renewals from here on: a long GC pause, a frozen VM

    const b = elsewhere(s, "b");
    await git(s.git.root, "clone", "-q", s.git.remote, b.repo);
    s.startWorker({ overrides: { "repo.path": b.repo, "storage.dataDir": b.dataDir, "integration.leaseSeconds": 3 } });
    const done = await s.waitFor(item.id, [ItemStatus.COMPLETED], 30_000);
    expect(done.attempts).toBe(2);
    expect(done.claimedBy).toBe(integrationWorkerId(b.dataDir));
    const merged = completionResult(done);

    child.child.kill("SIGCONT");
    const settled = await child.waitForLog("the end of its attempt", (line) => line.msg === "completion integrated");
    expect(settled.report).toBe("lost");
    expect(settled.outcome).not.toBe("merged");
    // Its keeper's first renewal after waking was refused, which aborted whatever it was running.
    expect(child.logs.some((line) => /^lease ended \(lost\)/.test(line.msg ?? ""))).toBe(true);

    const log = await history(s.git.remote, "main_agents");
    expect(log.filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);
    expect(log[0]?.sha).toBe(merged.mergedSha);
    const after = (await s.cp.clients.queues.getItem({ itemId: item.id })).item;
    expect(after?.status).toBe(ItemStatus.COMPLETED);
    expect(completionResult(after!).mergedSha).toBe(merged.mergedSha);
  }, 60_000);
});
