import { join } from "node:path";

/** Where a worker's job worktrees live: <dataDir>/worktrees/<worker>. */
export function workerWorktrees(dataDir: string, workerId: string): string {
  return join(dataDir, "worktrees", workerId);
}

/** One job's worktree: <dataDir>/worktrees/<worker>/<job>. */
export function jobWorktree(dataDir: string, workerId: string, jobId: string): string {
  return join(workerWorktrees(dataDir, workerId), jobId);
}

/** The branch a job's work is committed on; a retry by the same worker resets it. */
export function jobBranch(workerId: string, jobId: string): string {
  return `agent/${workerId}/${jobId}`;
}
