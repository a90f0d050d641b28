/**
 * A merge strategy applies one job's work on the detached HEAD of the integration
 * worktree (which starts at the integration tip). It either produces the new tip or
 * reports a conflict; anything else it throws. The caller resets the worktree after a
 * conflict, so a strategy never cleans up after itself.
 */
export interface ApplyInput {
  cwd: string;
  jobId: string;
  /** The job's last commit. */
  sha: string;
  /** Where the job's own commits start (exclusive): the cherry-pick range is from..sha. */
  from: string;
  summary: string;
  /** Identity of the commits integration makes. */
  env: Record<string, string>;
  signal?: AbortSignal;
}

export type ApplyResult = { kind: "applied"; tip: string } | { kind: "conflicted"; files: string[]; message: string };

export type ApplyStrategy = (input: ApplyInput) => Promise<ApplyResult>;
