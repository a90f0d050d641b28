import { lstat, readdir, realpath, rm } from "node:fs/promises";
import { join } from "node:path";
import { failedPrecondition } from "../../shared/errors.js";
import { retryingWorktreeRace } from "../../shared/worktree-race.js";
import { git, runGit } from "./git/run-git.js";

/**
 * The integration worktree: a `git worktree` of the supervisor's repository (so job
 * commits are there without a fetch), always on a detached HEAD. The detached HEAD is
 * the "temporary branch" merges are built on; only a final compare-and-swap moves the
 * integration branch, so a crash at any point leaves that branch as it was.
 */
export async function ensureWorktree(repoPath: string, dir: string, startPoint: string, signal?: AbortSignal): Promise<void> {
  if (await isWorktreeOf(repoPath, dir)) return;
  await removeBrokenWorktree(dir);
  await retryingWorktreeRace(() => git(repoPath, ["worktree", "prune"], { signal }));
  await retryingWorktreeRace(() => git(repoPath, ["worktree", "add", "--detach", "--force", "--quiet", dir, startPoint], { signal }));
}

/**
 * Back to a clean detached checkout of `sha`, whatever a crash or a failed step left:
 * stale lock files (a git killed with -9 leaves index.lock), a half-done rebase,
 * cherry-pick sequence or merge, modified and untracked or ignored files. Safe only
 * under the worktree lock; never takes an AbortSignal because cleanup must finish.
 */
export async function resetWorktree(dir: string, sha: string): Promise<void> {
  const gitDir = await git(dir, ["rev-parse", "--absolute-git-dir"]);
  await Promise.all(["index.lock", "HEAD.lock"].map((name) => rm(join(gitDir, name), { force: true })));
  for (const abort of [
    ["rebase", "--quit"],
    ["cherry-pick", "--quit"],
    ["merge", "--abort"],
  ]) {
    await runGit(abort, { cwd: dir, okCodes: [1, 128] });
  }
  await git(dir, ["checkout", "--detach", "--force", "--quiet", sha]);
  await git(dir, ["reset", "--hard", "--quiet", sha]);
  await git(dir, ["clean", "-ffdxq"]);
}

/** Whether the worktree is clean: no staged, modified, untracked or ignored files. */
export async function isClean(dir: string): Promise<boolean> {
  const status = await git(dir, ["status", "--porcelain", "--ignored", "--untracked-files=all"]);
  return status === "";
}

/** Removes what a crash left of a worktree; anything else at that path is not ours to delete. */
async function removeBrokenWorktree(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries === undefined || entries.length === 0) return;
  const gitFile = await lstat(join(dir, ".git")).catch(() => undefined);
  if (!gitFile?.isFile()) {
    throw failedPrecondition(`${dir} exists and is not the integration worktree; move it away or point storage.dataDir elsewhere`);
  }
  await rm(dir, { recursive: true, force: true });
}

async function isWorktreeOf(repoPath: string, dir: string): Promise<boolean> {
  try {
    const [top, common, repoCommon] = await Promise.all([
      git(dir, ["rev-parse", "--show-toplevel"]),
      git(dir, ["rev-parse", "--path-format=absolute", "--git-common-dir"]),
      git(repoPath, ["rev-parse", "--path-format=absolute", "--git-common-dir"]),
    ]);
    return top === (await realpath(dir)) && (await realpath(common)) === (await realpath(repoCommon));
  } catch {
    return false;
  }
}
