import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { silentLogger } from "../../shared/log.js";
import { createWorktree, sweepWorktrees, workerWorktrees, worktreePool } from "../../services/runner/workspace/index.js";
import { git } from "../support/git.js";
import { createScene, enqueueJob, jobBranchTip, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";

/** A job's branch once the runner is done with the job (its worktree removed). */
describe("job branches and worker directories the runner leaves", () => {
  let scene: Scene;
  let runner: InProcessRunner | undefined;

  beforeEach(async () => {
    scene = await createScene();
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await scene.remove();
  });

  async function runToEnd(instruction: string) {
    const job = await enqueueJob(scene, { instruction }, { maxAttempts: 1 });
    const finished = await waitForStatus(scene, job.id);
    // The status is reported before the worktree (and branch) go; the runner's own ending comes after.
    const deadline = Date.now() + 15_000;
    while (!runner!.ended.has(job.id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runner!.ended.has(job.id), `the runner never finished ${job.id}`).toBe(true);
    return { job, finished, branch: `agent/${scene.workerId}/${job.id}` };
  }

  it("deletes the branch of a failed job and of a job without changes; keeps the one holding a completion's commit", async () => {
    runner = startRunner(scene);
    const failed = await runToEnd("echo partial > src/app.txt; exit 3");
    expect(failed.finished.status).toBe(ItemStatus.FAILED);
    expect(await jobBranchTip(scene.repo, failed.branch)).toBe("");

    const unchanged = await runToEnd("ls > /dev/null");
    expect(unchanged.finished.status).toBe(ItemStatus.COMPLETED);
    expect(await jobBranchTip(scene.repo, unchanged.branch)).toBe("");

    const changed = await runToEnd("echo more >> src/app.txt");
    expect(changed.finished.status).toBe(ItemStatus.COMPLETED);
    const result = changed.finished.result?.kind.case === "job" ? changed.finished.result.kind.value : undefined;
    expect(result?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await jobBranchTip(scene.repo, changed.branch)).toBe(result?.sha);
  });

  it("keeps every branch with runner.deleteJobBranches = false", async () => {
    runner = startRunner(scene, { "runner.deleteJobBranches": false });
    const failed = await runToEnd("exit 3");
    expect(failed.finished.status).toBe(ItemStatus.FAILED);
    expect(await jobBranchTip(scene.repo, failed.branch)).toBe(scene.baseSha);
  });

  it("never deletes a branch that moved on from the job's base, or one outside agent/", async () => {
    const workspace = await createWorktree({ repo: scene.repo, dataDir: scene.dataDir, workerId: "w1", jobId: "job_moved", baseRef: "main" });
    const pool = worktreePool({ repo: scene.repo, dataDir: scene.dataDir, workerId: "w1", baseRef: "main", size: 0, deleteJobBranches: true, logger: silentLogger });
    await git(workspace.path, "commit", "-q", "--allow-empty", "-m", "a commit a completion may name");
    const moved = await git(scene.repo, "rev-parse", workspace.branch);
    await pool.remove(workspace);
    expect(await jobBranchTip(scene.repo, workspace.branch)).toBe(moved);
    expect(existsSync(workspace.path)).toBe(false);

    await git(scene.repo, "branch", "person/topic", "main");
    const other = await createWorktree({ repo: scene.repo, dataDir: scene.dataDir, workerId: "w1", jobId: "job_other", baseRef: "main" });
    await pool.remove({ ...other, branch: "person/topic" });
    expect(await jobBranchTip(scene.repo, "person/topic")).toBe(scene.baseSha);
    await pool.close();
  });

  it("sweeps empty worker directories: at start-up, of a dead runner's leftovers, and its own at shutdown", async () => {
    const crashed = workerWorktrees(scene.dataDir, "crashed-runner");
    await createWorktree({ repo: scene.repo, dataDir: scene.dataDir, workerId: "crashed-runner", jobId: "job_left", baseRef: "main" });
    expect(await sweepWorktrees(scene.repo, scene.dataDir, "crashed-runner")).toEqual(["job_left"]);
    expect(existsSync(crashed)).toBe(false);

    const empty = workerWorktrees(scene.dataDir, "idle-runner");
    await mkdir(empty, { recursive: true });
    expect(await sweepWorktrees(scene.repo, scene.dataDir, "idle-runner")).toEqual([]);
    expect(existsSync(empty)).toBe(false);

    const pool = worktreePool({ repo: scene.repo, dataDir: scene.dataDir, workerId: "w2", baseRef: "main", size: 1, logger: silentLogger });
    await pool.refill();
    expect(existsSync(workerWorktrees(scene.dataDir, "w2"))).toBe(true);
    await pool.close();
    expect(existsSync(workerWorktrees(scene.dataDir, "w2"))).toBe(false);
    expect(existsSync(join(scene.dataDir, "worktrees"))).toBe(true);
  });
});
