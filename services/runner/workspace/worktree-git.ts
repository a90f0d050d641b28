import { workspaceGit, type Git } from "./git.js";
import type { JobWorkspace } from "./job-workspace.js";

/**
 * git on a job's worktree with its git directory and work tree named explicitly, for everything
 * the runner does after a sandbox has run there (stage, commit, diff).
 */
export function worktreeGit(workspace: JobWorkspace, options: { signal?: AbortSignal; config?: string[] } = {}): { git: Git; args: (...rest: string[]) => string[] } {
  return {
    git: workspaceGit(workspace.path, options),
    args: (...rest) => [`--git-dir=${workspace.gitDir}`, `--work-tree=${workspace.path}`, ...rest],
  };
}
