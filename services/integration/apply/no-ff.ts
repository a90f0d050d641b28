import { GitError, git } from "../git/run-git.js";
import { JOB_TRAILER } from "../history.js";
import { unmergedFiles } from "./conflicts.js";
import type { ApplyStrategy } from "./strategy.js";

/** A merge commit on the integration tip whose second parent is the job's sha; the message carries the trailer. */
export const noFastForward: ApplyStrategy = async ({ cwd, jobId, sha, summary, env, signal }) => {
  try {
    await git(cwd, ["merge", "--no-ff", "--no-commit", "--no-log", sha], { env, signal });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const files = await unmergedFiles(cwd);
    if (files.length === 0) throw error;
    return { kind: "conflicted", files, message: `merging ${sha.slice(0, 12)} conflicts in ${files.length} file(s)` };
  }
  // Message on stdin, never on a command line; whitespace cleanup keeps "#" lines of the summary.
  await git(cwd, ["commit", "--allow-empty", "--cleanup=whitespace", "--file=-"], { env, signal, input: mergeMessage(jobId, summary) });
  return { kind: "applied", tip: await git(cwd, ["rev-parse", "HEAD"]) };
};

export function mergeMessage(jobId: string, summary: string): string {
  const text = summary.trim();
  const subject = (text.split("\n")[0] ?? "").slice(0, 100);
  const body = text.includes("\n") || text.length > 100 ? `\n\n${text}` : "";
  return `Merge ${jobId}${subject ? `: ${subject}` : ""}${body}\n\n${JOB_TRAILER}: ${jobId}\n`;
}
