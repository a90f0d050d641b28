import { rm } from "node:fs/promises";
import { retryingWorktreeRace } from "../../services/kernel/worktree-race.js";
import { workspaceGit } from "./git.js";

/**
 * Removes a job's worktree and git's record of it, whatever state a crash left it in (locked,
 * half-created, its directory already gone). Takes no AbortSignal: cleanup must finish.
 * The branch stays: it holds the job's commit, which a completion may name.
 */
export async function removeWorktree(repo: string, path: string): Promise<void> {
  const git = workspaceGit(repo);
  // Twice --force: also a locked worktree, and one with untracked or modified files.
  await retryingWorktreeRace(() => git.raw(["worktree", "remove", "--force", "--force", path])).catch(() => undefined);
  await rm(path, { recursive: true, force: true });
  await retryingWorktreeRace(() => git.raw(["worktree", "prune"]));
}
