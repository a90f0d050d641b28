import { rm } from "node:fs/promises";
import { retryingWorktreeRace } from "../../../shared/worktree-race.js";
import { workspaceGit } from "./git.js";
import type { JobWorkspace } from "./job-workspace.js";

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

/**
 * Removes a job's worktree at the end of its run and, with `deleteBranch`, its branch too when
 * the job left no commit there: a job that failed, was cancelled or changed nothing has nothing
 * on agent/<worker>/<job> that anyone will read. The delete is a compare-and-swap on the base
 * commit the branch was made at, so a branch holding the job's commit (which its completion
 * names; integration deletes it once that is merged or has finally failed) is never touched.
 */
export async function removeJobWorkspace(repo: string, workspace: JobWorkspace, options: { deleteBranch: boolean }): Promise<void> {
  await removeWorktree(repo, workspace.path);
  if (!options.deleteBranch || !workspace.branch.startsWith("agent/")) return;
  const git = workspaceGit(repo);
  await git.raw(["update-ref", "-m", "pushpals: job ended without a commit", "-d", `refs/heads/${workspace.branch}`, workspace.baseSha]).catch(() => undefined);
}
