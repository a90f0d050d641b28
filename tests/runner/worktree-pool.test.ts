import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/log.js";
import { removeWorktree, stageChanges, sweepWorktrees, worktreePool, type WorktreePool } from "../../services/runner/workspace/index.js";
import { git, initRepo, writeFiles } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

describe("job worktrees from the warm pool", () => {
  let dir: TempDir;
  let repo: string;
  let dataDir: string;
  let base: string;
  let pool: WorktreePool;

  beforeEach(async () => {
    dir = await tempDir("pushpals-pool-");
    repo = join(dir.path, "repo");
    dataDir = join(dir.path, "data");
    await mkdir(repo);
    base = await initRepo(repo, { "a.txt": "a\n", "sub/b.txt": "b\n" });
    pool = worktreePool({ repo, dataDir, workerId: "w1", baseRef: "main", size: 1, logger: silentLogger });
  });
  afterEach(async () => {
    await pool?.close();
    await dir.remove();
  });

  const spares = async () => (await readdir(join(dataDir, "worktrees", "w1")).catch(() => [])).filter((name) => name.startsWith("spare-"));

  async function expectJobWorktree(workspace: { path: string; branch: string; baseSha: string }, jobId: string, sha: string) {
    expect(workspace.path).toBe(join(dataDir, "worktrees", "w1", jobId));
    expect(workspace.branch).toBe(`agent/w1/${jobId}`);
    expect(workspace.baseSha).toBe(sha);
    expect(await git(workspace.path, "symbolic-ref", "HEAD")).toBe(`refs/heads/agent/w1/${jobId}`);
    expect(await git(workspace.path, "rev-parse", "HEAD")).toBe(sha);
    expect(await git(workspace.path, "status", "--porcelain", "--untracked-files=all")).toBe("");
  }

  it("moves a ready spare into place at the base commit and makes the next spare", async () => {
    await pool.refill();
    expect(await spares()).toHaveLength(1);
    const workspace = await pool.create({ jobId: "job_1", baseRef: "main" });
    expect(workspace.warm).toBe(true);
    await expectJobWorktree(workspace, "job_1", base);
    await pool.refill();
    expect(await spares()).toHaveLength(1);
    // The job's own git dir is what stage and commit use.
    await writeFiles(workspace.path, { "c.txt": "c\n" });
    expect((await stageChanges(workspace)).changes).toEqual([{ path: "c.txt", status: "added" }]);
  });

  it("checks out only what differs when the base moved on after the spare was made, or the job names another ref", async () => {
    await pool.refill();
    await writeFiles(repo, { "a.txt": "a2\n" });
    await git(repo, "commit", "-qam", "move main");
    const moved = await git(repo, "rev-parse", "HEAD");
    const workspace = await pool.create({ jobId: "job_2", baseRef: "main" });
    expect(workspace.warm).toBe(true);
    await expectJobWorktree(workspace, "job_2", moved);
    await pool.refill();
    const other = await pool.create({ jobId: "job_3", baseRef: base });
    await expectJobWorktree(other, "job_3", base);
  });

  it("makes a fresh worktree when no spare is ready, and when a spare was broken behind its back", async () => {
    const cold = await pool.create({ jobId: "job_4", baseRef: "main" });
    expect(cold.warm).toBe(false);
    await expectJobWorktree(cold, "job_4", base);
    await pool.refill();
    const [spare] = await spares();
    await rm(join(dataDir, "worktrees", "w1", spare!), { recursive: true, force: true });
    const recovered = await pool.create({ jobId: "job_5", baseRef: "main" });
    expect(recovered.warm).toBe(false);
    await expectJobWorktree(recovered, "job_5", base);
  });

  it("resets a retried job's branch, and the sweep removes spares and worktrees a crash left", async () => {
    const first = await pool.create({ jobId: "job_6", baseRef: "main" });
    await git(first.path, "commit", "-q", "--allow-empty", "-m", "left by attempt 1");
    await removeWorktree(repo, first.path);
    await pool.refill();
    const retry = await pool.create({ jobId: "job_6", baseRef: "main" });
    await expectJobWorktree(retry, "job_6", base);
    await pool.refill();

    const swept = await sweepWorktrees(repo, dataDir, "w1");
    expect(swept.filter((name) => !name.startsWith("spare-"))).toEqual(["job_6"]);
    expect(swept.filter((name) => name.startsWith("spare-"))).toHaveLength(1);
    expect(await spares()).toEqual([]);
    expect(existsSync(retry.path)).toBe(false);
    expect(await git(repo, "worktree", "list", "--porcelain")).not.toContain(join(dataDir, "worktrees"));
  });

  it("refuses a base ref that could be read as an option, and one that names nothing", async () => {
    await expect(pool.create({ jobId: "job_7", baseRef: "--upload-pack=evil" })).rejects.toThrow(/is not a valid git ref/);
    await expect(pool.create({ jobId: "job_8", baseRef: "nope" })).rejects.toThrow(/does not name a commit/);
  });
});
