import { readdir, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { retryingWorktreeRace } from "../../../shared/worktree-race.js";
import { workspaceGit } from "./git.js";
import { workerWorktrees } from "./paths.js";
import { removeWorktree } from "./remove-worktree.js";

/**
 * Removes every worktree a runner with this worker id left behind (it crashed, or was killed
 * before it cleaned up), then its directory <dataDir>/worktrees/<worker> once empty: default
 * worker ids change with every start, so these would pile up. Only the worker's own directory
 * is touched: other workers' jobs may be running. Returns the job ids whose worktrees were removed.
 */
export async function sweepWorktrees(repo: string, dataDir: string, workerId: string): Promise<string[]> {
  const dir = workerWorktrees(dataDir, workerId);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const swept: string[] = [];
  for (const entry of entries) {
    await removeWorktree(repo, join(dir, entry.name));
    swept.push(entry.name);
  }
  if (swept.length === 0) await retryingWorktreeRace(() => workspaceGit(repo).raw(["worktree", "prune"]));
  await removeIfEmpty(dir);
  return swept;
}

/**
 * Removes a directory if it is empty (rmdir is atomic: a file that appears first keeps it).
 * Safe beside a runner about to add a worktree there: `git worktree add` makes missing parents.
 */
export async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
}
