import { hostGit, hostGitTest } from "../../../shared/git/host-git.js";

/** Where a job's worktree starts, and why there: the job's events say both. */
export interface StartPoint {
  /** The branch (or ref) the job starts from. */
  ref: string;
  /** Its commit when it resolved; absent when the ref names no commit (the worktree step then says so). */
  sha?: string;
  reason: string;
}

export interface StartPointOptions {
  repo: string;
  /** repo.baseBranch. */
  baseBranch: string;
  /** integration.branch, into which integration merges finished jobs. */
  integrationBranch: string;
  /** runner.base: "integration" builds on merged work; "base" always starts at the base branch. */
  mode: "integration" | "base";
  signal?: AbortSignal;
}

/**
 * The integration branch when it holds the base branch, so a second request builds on what the
 * first one merged (starting both from the base makes two edits of one line conflict); else the
 * base branch, with the reason. One that lacks the base would hand jobs a stale start (the base
 * moved on, or the branch was reset), so it is not used.
 */
export async function chooseStartPoint(options: StartPointOptions): Promise<StartPoint> {
  const { repo, baseBranch, integrationBranch, mode, signal } = options;
  const base = (reason: string, sha?: string): StartPoint => ({ ref: baseBranch, ...(sha ? { sha } : {}), reason });
  const baseSha = await commitOf(repo, baseBranch, signal);
  if (mode === "base") return base('runner.base = "base"', baseSha);
  const integrationSha = await commitOf(repo, `refs/heads/${integrationBranch}`, signal);
  if (!integrationSha) return base(`the integration branch ${integrationBranch} does not exist yet`, baseSha);
  if (!baseSha) return base(`the base branch ${baseBranch} does not exist, so the integration branch cannot be checked against it`);
  if (!(await hostGitTest(repo, ["merge-base", "--is-ancestor", baseSha, integrationSha], signal))) {
    return base(
      `the integration branch ${integrationBranch} does not contain ${baseBranch} (${baseSha.slice(0, 12)}); merge ${baseBranch} into it to build on merged work`,
      baseSha,
    );
  }
  return { ref: integrationBranch, sha: integrationSha, reason: `the integration branch contains ${baseBranch}, so the job builds on work merged before it` };
}

async function commitOf(repo: string, ref: string, signal?: AbortSignal): Promise<string | undefined> {
  // "--end-of-options": a base branch named like an option is data, not a flag.
  const sha = await hostGit(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], signal ? { signal, okCodes: [1] } : { okCodes: [1] }).catch(
    (error: unknown) => {
      if (signal?.aborted) throw error;
      return "";
    },
  );
  return sha.trim() || undefined;
}
