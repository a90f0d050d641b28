import { runHostGit } from "../../../shared/git/host-git.js";

/**
 * git for the runner: the host git helper (shared/git/host-git.ts). It matters here
 * in particular: the runner's git runs on the host after a sandbox ran in the worktree, and a
 * command there must not be able to plant a program (a hook, an fsmonitor, a filter driver in
 * .git/config or config.worktree) that the runner then runs with its rights (under the process
 * driver it could write .git).
 */
export interface GitOptions {
  /** Aborting kills the running git command. */
  signal?: AbortSignal;
  /** Extra `name=value` settings for every command. */
  config?: string[];
}

export interface Git {
  /** Runs `git <args>` and resolves with its stdout; rejects with a GitError. */
  raw(args: readonly string[]): Promise<string>;
}

export { GitError, GitError as GitCommandError, gitProblem } from "../../../shared/git/git-error.js";

export function workspaceGit(baseDir: string, options: GitOptions = {}): Git {
  return {
    async raw(args) {
      return (await runHostGit(args, { cwd: baseDir, ...(options.signal ? { signal: options.signal } : {}), ...(options.config ? { config: options.config } : {}) })).stdout;
    },
  };
}
