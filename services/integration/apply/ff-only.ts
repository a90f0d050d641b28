import { GitError, git } from "../git/run-git.js";
import type { ApplyStrategy } from "./strategy.js";

/**
 * The integration branch moves to the job's sha itself; possible only while the job's
 * branch contains the integration tip. Otherwise the job must be rebased, which the
 * loop's repair job does, so it reports a conflict with no files.
 */
export const fastForwardOnly: ApplyStrategy = async ({ cwd, sha, env, signal }) => {
  try {
    await git(cwd, ["merge", "--ff-only", sha], { env, signal });
  } catch (error) {
    if (!(error instanceof GitError) || !/not possible to fast-forward|diverg/i.test(error.stderr)) throw error;
    return {
      kind: "conflicted",
      files: [],
      message: `cannot fast-forward to ${sha.slice(0, 12)}: the integration branch has moved on; rebase the job onto it`,
    };
  }
  return { kind: "applied", tip: await git(cwd, ["rev-parse", "HEAD"]) };
};
