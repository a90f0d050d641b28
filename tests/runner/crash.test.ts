import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { jobWorktree } from "../../services/runner/workspace/index.js";
import { processesWith, uniqueSleep, waitFor } from "../sandbox/fixtures.js";
import { git } from "../support/git.js";
import { startChildRunner, type ChildRunner } from "./child-runner.js";
import { commitsOfJob, completions, createScene, enqueueJob, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";

describe("a runner killed with -9 mid-job", () => {
  let scene: Scene | undefined;
  const children: ChildRunner[] = [];
  let survivor: InProcessRunner | undefined;

  afterEach(async () => {
    for (const child of children.splice(0)) await child.stop("SIGKILL");
    await survivor?.stop();
    await scene?.remove();
    scene = survivor = undefined;
  });

  it("loses the job to another runner when its lease expires; the job completes once; its orphans are swept by its successor", async () => {
    scene = await createScene({ controlPlane: { overrides: { "queues.backoffBaseSeconds": 0.1 } } });
    const crashedId = `crash-a-${process.pid}`;
    const firstAttempt = join(scene.dir.path, "first-attempt");
    const { seconds, marker } = uniqueSleep();
    // The first attempt hangs in a sleep; any later one does the work at once.
    const script = `if [ -e ${firstAttempt} ]; then echo work > result.txt; else touch ${firstAttempt}; sleep ${seconds}; fi`;
    const settings = { "runner.workerId": crashedId, "runner.leaseSeconds": 2, "runner.driver": "process" };

    const crashed = await startChildRunner(scene, settings);
    children.push(crashed);
    const job = await enqueueJob(scene, { instruction: script });
    await waitFor("the first attempt to be sleeping", async () => (await processesWith(marker)) === 1, 20_000);
    const orphanWorktree = jobWorktree(scene.dataDir, crashedId, job.id);
    expect(existsSync(orphanWorktree)).toBe(true);

    expect(await crashed.stop("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    // Without isolation the sleep outlives its runner (bwrap's would die with it): an orphan to sweep.
    expect(await processesWith(marker)).toBe(1);

    survivor = startRunner(scene, { "runner.workerId": `crash-b-${process.pid}`, "runner.leaseSeconds": 2 });
    const finished = await waitForStatus(scene, job.id, undefined, 20_000);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    expect(finished.attempts).toBe(2);
    expect(finished.claimedBy).toBe(`crash-b-${process.pid}`);
    const all = await completions(scene);
    expect(all).toHaveLength(1);
    const commits = await commitsOfJob(scene.repo, job.id);
    expect(commits).toHaveLength(1);
    expect(await git(scene.repo, "rev-parse", `agent/crash-b-${process.pid}/${job.id}`)).toBe(commits[0]);
    expect(await git(scene.repo, "rev-parse", `agent/${crashedId}/${job.id}`)).toBe(scene.baseSha);

    // The crashed runner's worktree and its sleep are still there until a runner with its id starts.
    expect(existsSync(orphanWorktree)).toBe(true);
    expect(await processesWith(marker)).toBe(1);
    const successor = await startChildRunner(scene, settings);
    children.push(successor);
    await waitFor("the orphan worktree to be swept", () => !existsSync(orphanWorktree), 20_000);
    await waitFor("the orphan sleep to be killed", async () => (await processesWith(marker)) === 0, 5000);
    expect(await git(scene.repo, "worktree", "list", "--porcelain")).not.toContain(orphanWorktree);
    expect(await successor.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(successor.lines).toContain("runner stopped");
  });
});
