import { hostGit, hostGitTest, runHostGit, type GitResult, type HostGitOptions } from "../../../shared/git/host-git.js";

/**
 * Integration's git calls: the host git helper (shared/git/host-git.ts), which keeps
 * hooks, fsmonitor, the repository's drivers and remote programs from running and gives git no
 * secrets. Integration runs configured checks, never what sits in .git/hooks or .git/config.
 */
export { GitError } from "../../../shared/git/git-error.js";
export type { GitResult };
export type GitOptions = HostGitOptions;

export function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  return runHostGit(args, options);
}

/** Runs git and returns its trimmed stdout; throws GitError on a non-zero exit. */
export const git = hostGit;

/** For yes/no questions git answers with exit 0 or 1 (merge-base --is-ancestor, rev-parse --verify --quiet). */
export const gitTest = hostGitTest;
