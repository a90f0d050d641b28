import { GitError, git } from "../git/run-git.js";
import { JOB_TRAILER, jobTrailers } from "../history.js";
import { unmergedFiles } from "./conflicts.js";
import type { ApplyStrategy } from "./strategy.js";

/**
 * The job's commits from..sha, replayed one by one on the integration tip (authors
 * kept). Commits that become empty are kept, so the job's trailer always lands; the
 * trailer is added to the last commit if the job's commits lack it.
 */
export const cherryPick: ApplyStrategy = async ({ cwd, jobId, sha, from, env, signal }) => {
  try {
    await git(cwd, ["cherry-pick", "--keep-redundant-commits", `${from}..${sha}`], { env, signal });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const files = await unmergedFiles(cwd);
    if (files.length === 0) throw error;
    return { kind: "conflicted", files, message: `cherry-pick of ${from.slice(0, 12)}..${sha.slice(0, 12)} conflicts in ${files.length} file(s)` };
  }
  if (!(await jobTrailers(cwd, "HEAD")).includes(jobId)) {
    await git(cwd, ["-c", "trailer.ifExists=addIfDifferent", "commit", "--amend", "--no-edit", "--allow-empty", "--trailer", `${JOB_TRAILER}: ${jobId}`], {
      env,
      signal,
    });
  }
  return { kind: "applied", tip: await git(cwd, ["rev-parse", "HEAD"]) };
};
