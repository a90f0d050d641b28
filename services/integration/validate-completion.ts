import type { CompletionPayload } from "../../gen/pushpals/v1/items_pb.js";
import { invalidArgument } from "../../shared/errors.js";
import { isId } from "../../shared/ids.js";
import { assertBranchName, assertCommitSha, assertRepoPath } from "./git/validate.js";

/** A completion whose every field that can reach git has been checked. */
export interface ValidCompletion {
  payload: CompletionPayload;
  jobId: string;
  sha: string;
  /** Empty: the job's commits start where it leaves the base branch. */
  baseSha: string;
  /** Empty: the commit is expected in the repository already. */
  branch: string;
}

const MAX_SUMMARY_CHARS = 64 * 1024;

/** Refuses, with InvalidArgument naming the field, anything that is not what a supervisor sends. */
export async function validateCompletion(payload: CompletionPayload): Promise<ValidCompletion> {
  if (!isId("job", payload.jobId)) {
    throw invalidArgument("completion.job_id", `${JSON.stringify(payload.jobId.slice(0, 80))} is not a job id (job_ followed by a ULID)`);
  }
  const sha = assertCommitSha("completion.sha", payload.sha);
  const baseSha = payload.baseSha === "" ? "" : assertCommitSha("completion.base_sha", payload.baseSha);
  const branch = payload.branch === "" ? "" : await assertBranchName("completion.branch", payload.branch);
  payload.changedFiles.forEach((path, i) => assertRepoPath(`completion.changed_files[${i}]`, path));
  if (payload.summary.length > MAX_SUMMARY_CHARS) {
    throw invalidArgument("completion.summary", `is ${payload.summary.length} characters; at most ${MAX_SUMMARY_CHARS} are accepted`);
  }
  if (payload.summary.includes("\0")) throw invalidArgument("completion.summary", "contains a NUL character");
  return { payload, jobId: payload.jobId, sha, baseSha, branch };
}
