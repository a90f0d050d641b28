import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { retryingWorktreeRace } from "../../../shared/worktree-race.js";
import { linkedGitDir } from "./git-dir.js";
import { gitProblem, workspaceGit } from "./git.js";
import type { JobWorkspace } from "./job-workspace.js";
import { jobBranch, jobWorktree } from "./paths.js";
import { removeWorktree } from "./remove-worktree.js";
import { WorkspaceError } from "./workspace-error.js";

export interface WorktreeRequest {
  repo: string;
  dataDir: string;
  workerId: string;
  jobId: string;
  /** A branch, tag or commit the job starts from. */
  baseRef: string;
  signal?: AbortSignal;
}

/** A ref git could read as an option (leading "-"), or with spaces or control characters, never reaches git. */
const SAFE_REF = /^[^-\s\x00-\x1f\x7f][^\s\x00-\x1f\x7f]{0,249}$/;

/**
 * Makes the job's worktree at <dataDir>/worktrees/<worker>/<job> on branch agent/<worker>/<job>,
 * starting at `baseRef`. A retried job (same worker) gets its branch reset (`-B`) and whatever
 * an earlier attempt left at that path removed first.
 */
export async function createWorktree(request: WorktreeRequest): Promise<JobWorkspace> {
  const { repo, dataDir, workerId, jobId, baseRef, signal } = request;
  const git = workspaceGit(repo, signal ? { signal } : {});
  const baseSha = await resolveBase(repo, baseRef, signal);
  const path = jobWorktree(dataDir, workerId, jobId);
  const branch = jobBranch(workerId, jobId);
  if (existsSync(path)) await removeWorktree(repo, path);
  await mkdir(dirname(path), { recursive: true });
  try {
    await retryingWorktreeRace(() => git.raw(["worktree", "add", "--quiet", "-B", branch, path, baseSha]));
    // Several workers may hold worktrees of one job (a crashed one's orphan), so git may have
    // named this one's admin directory job…1: read it rather than guess.
    return { path, branch, baseSha, gitDir: await linkedGitDir(path) };
  } catch (error) {
    await removeWorktree(repo, path).catch(() => undefined);
    if (signal?.aborted) throw error;
    throw new WorkspaceError(`could not create the worktree ${path} on ${branch}: ${gitProblem(error)}`, true, { cause: error });
  }
}

/** The commit `baseRef` names; a ref that does not exist is the job's fault, not the machine's. */
export async function resolveBase(repo: string, baseRef: string, signal?: AbortSignal): Promise<string> {
  if (!SAFE_REF.test(baseRef)) {
    throw new WorkspaceError(`base ref ${JSON.stringify(baseRef)} is not a valid git ref; name a branch, tag or commit of ${repo}`, false);
  }
  try {
    const sha = await workspaceGit(repo, signal ? { signal } : {}).raw(["rev-parse", "--verify", "--quiet", `${baseRef}^{commit}`]);
    if (sha.trim()) return sha.trim();
  } catch (error) {
    if (signal?.aborted) throw error;
  }
  throw new WorkspaceError(
    `base ref ${JSON.stringify(baseRef)} does not name a commit in ${repo}; set the job's base_ref (or repo.baseBranch) to an existing branch, tag or commit`,
    false,
  );
}
