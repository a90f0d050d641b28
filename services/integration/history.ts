import { JOB_TRAILER } from "../../shared/job-trailer.js";
import { git, gitTest } from "./git/run-git.js";

export { JOB_TRAILER };

/**
 * Where the job's work already sits on `ref`, if anywhere: the newest commit whose
 * PushPals-Job trailer names the job, or the job's own sha when it is an ancestor
 * (an ff-only merge of commits that lack the trailer). Undefined when not merged.
 */
export async function findMergedJob(cwd: string, ref: string, jobId: string, sha: string, signal?: AbortSignal): Promise<string | undefined> {
  // --grep narrows the walk cheaply in C; the trailer parse below decides, so a job id
  // merely mentioned in some message body does not count.
  const log = await git(cwd, ["log", "--fixed-strings", `--grep=${jobId}`, `--format=%H%x00%(trailers:key=${JOB_TRAILER},valueonly,separator=%x2C)%x1e`, ref, "--"], { signal });
  for (const record of log.split("\x1e")) {
    const [hash, values = ""] = record.trim().split("\0");
    if (hash && values.split(",").some((value) => value.trim() === jobId)) return hash;
  }
  if (await gitTest(cwd, ["merge-base", "--is-ancestor", sha, ref], signal)) return sha;
  return undefined;
}

/** The trailer values of one commit, e.g. the job ids a commit carries. */
export async function jobTrailers(cwd: string, commit: string): Promise<string[]> {
  const out = await git(cwd, ["log", "-1", `--format=%(trailers:key=${JOB_TRAILER},valueonly,separator=%x2C)`, commit]);
  return out === "" ? [] : out.split(",").map((v) => v.trim());
}
