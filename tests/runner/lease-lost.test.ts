import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { jobWorktree } from "../../services/runner/workspace/index.js";
import { processesWith, uniqueSleep, waitFor } from "../sandbox/fixtures.js";
import { startChildRunner, type ChildRunner } from "./child-runner.js";
import { commitsOfJob, completions, createScene, enqueueJob, jobBranchTip, itemEvents, waitForStatus, type Scene } from "./support.js";

/**
 * The runner is paused (SIGSTOP) past its lease; the lease expires and the job is dead-lettered
 * (one attempt allowed, so nobody else runs it and the runner cannot simply take it again). When
 * it resumes it must see the loss and stop: no commit, no completion, no Fail, no more log lines.
 */
describe("a runner that lost its lease", () => {
  let scene: Scene | undefined;
  let runner: ChildRunner | undefined;

  afterEach(async () => {
    await runner?.stop("SIGKILL");
    await scene?.remove();
    runner = scene = undefined;
  });

  async function pauseUntilLost(jobId: string): Promise<void> {
    runner!.child.kill("SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past the 2 s lease
    // A claim by anyone reaps expired leases of the queue first.
    await scene!.controlPlane.clients.queues.claim({ queue: 2, workerId: "prober" });
    const lost = await waitForStatus(scene!, jobId, [ItemStatus.DEAD_LETTER], 5000);
    expect(lost.lastError).toMatch(/lease expired/);
  }

  async function expectNothingAfterLoss(jobId: string, workerId: string): Promise<void> {
    expect(await commitsOfJob(scene!.repo, jobId)).toEqual([]);
    expect(["", scene!.baseSha]).toContain(await jobBranchTip(scene!.repo, `agent/${workerId}/${jobId}`));
    expect(await completions(scene!)).toEqual([]);
    const item = (await scene!.controlPlane.clients.queues.getItem({ itemId: jobId })).item!;
    expect(item.status).toBe(ItemStatus.DEAD_LETTER);
    const events = await itemEvents(scene!, jobId);
    const deadAt = events.findIndex((event) => event.payload.case === "jobDeadLettered");
    expect(events.slice(deadAt + 1).filter((event) => event.payload.case === "jobLog" || event.payload.case === "jobFailed")).toEqual([]);
    await waitFor("the worktree to be removed", () => !existsSync(jobWorktree(scene!.dataDir, workerId, jobId)), 5000);
  }

  it("stops a running command as soon as a renewal says the lease is gone", async () => {
    scene = await createScene();
    const workerId = `lost-a-${process.pid}`;
    runner = await startChildRunner(scene, { "runner.workerId": workerId, "runner.leaseSeconds": 2, "runner.heartbeatSeconds": 60 });
    const { seconds, marker } = uniqueSleep();
    const job = await enqueueJob(scene, { instruction: `echo change > change.txt; sleep ${seconds}` }, { maxAttempts: 1 });
    await waitFor("the job's sleep to run", async () => (await processesWith(marker)) === 1, 20_000);

    await pauseUntilLost(job.id);
    runner.child.kill("SIGCONT");
    await waitFor("the runner to give the job up", () => runner!.lines.includes(`job ${job.id} lease_lost`), 5000);
    expect(await processesWith(marker)).toBe(0);
    await expectNothingAfterLoss(job.id, workerId);
  });

  it("does not commit work that finished while it held no lease", async () => {
    scene = await createScene();
    const workerId = `lost-b-${process.pid}`;
    runner = await startChildRunner(scene, { "runner.workerId": workerId, "runner.leaseSeconds": 2, "runner.heartbeatSeconds": 60 });
    const started = join(scene.dir.path, "started");
    // The script outlives the pause on its own (without isolation it is not stopped with the runner) and then writes its change.
    const job = await enqueueJob(scene, { instruction: `touch ${started}; sleep 1; echo change > change.txt` }, { maxAttempts: 1 });
    await waitFor("the script to start", () => existsSync(started), 20_000);

    await pauseUntilLost(job.id);
    runner.child.kill("SIGCONT");
    await waitFor("the runner to give the job up", () => runner!.lines.includes(`job ${job.id} lease_lost`), 5000);
    await expectNothingAfterLoss(job.id, workerId);
  });
});
