import { failedPrecondition, invalidArgument } from "../../shared/errors.js";
import type { IntegrationContext } from "./context.js";
import { git, gitTest, runGit } from "./git/run-git.js";
import { fetchRefs, listRemoteRefs } from "./remote.js";
import type { ValidCompletion } from "./validate-completion.js";

/**
 * Makes sure the job's commit is in the repository: the supervisor usually committed it
 * to this very repository; otherwise (a supervisor on another machine) its branch is
 * fetched from the remote.
 */
export async function ensureJobCommit(ctx: IntegrationContext, completion: ValidCompletion, signal?: AbortSignal): Promise<void> {
  const cwd = ctx.worktree;
  if (await hasCommit(cwd, completion.sha)) return;
  if (ctx.remote && completion.branch) {
    const ref = `refs/heads/${completion.branch}`;
    // A branch that is not there is the completion's problem, not the network's: asked first, so it is not retried.
    if ((await listRemoteRefs(cwd, ctx.remote, [ref], signal)).has(ref)) {
      await fetchRefs(cwd, ctx.remote, [ref], signal);
      if (await hasCommit(cwd, completion.sha)) return;
    }
  }
  const where = ctx.remote && completion.branch ? ` nor on ${ctx.remote.name}/${completion.branch}` : "";
  throw failedPrecondition(
    `commit ${completion.sha} of ${completion.jobId} is not in ${ctx.settings.repoPath}${where}; the job's branch may have been deleted — run the job again`,
  );
}

/** Where the job's own commits start (exclusive): its base_sha, else where it left the base branch. */
export async function jobStart(cwd: string, completion: ValidCompletion, baseTip: string, signal?: AbortSignal): Promise<string> {
  let from = completion.baseSha;
  if (from) {
    if (!(await hasCommit(cwd, from))) {
      throw invalidArgument("completion.base_sha", `commit ${from} is not in the repository; send the sha the job's branch started from`);
    }
    if (!(await gitTest(cwd, ["merge-base", "--is-ancestor", from, completion.sha], signal))) {
      throw invalidArgument("completion.base_sha", `${from} is not an ancestor of completion.sha ${completion.sha}`);
    }
  } else {
    const { stdout } = await runGit(["merge-base", completion.sha, baseTip], { cwd, signal, okCodes: [1] });
    from = stdout.trim();
    if (!from) throw failedPrecondition(`commit ${completion.sha} shares no history with the base branch; it cannot be integrated`);
  }
  if (from === completion.sha) {
    throw invalidArgument("completion.sha", `equals the job's start ${from}: the job made no commits, so there is nothing to merge`);
  }
  return from;
}

export async function commitCount(cwd: string, from: string, to: string): Promise<number> {
  return Number(await git(cwd, ["rev-list", "--count", `${from}..${to}`]));
}

async function hasCommit(cwd: string, sha: string): Promise<boolean> {
  return gitTest(cwd, ["rev-parse", "--verify", "--quiet", `${sha}^{commit}`]);
}
