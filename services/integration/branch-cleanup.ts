import { realpath } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import { errorMessage } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { retryingWorktreeRace } from "../../shared/worktree-race.js";
import { GitError, git, runGit } from "./git/run-git.js";
import { assertBranchName } from "./git/validate.js";
import type { IntegrationSettings } from "./settings.js";

/** Where runners make job branches; nothing outside it is ever deleted here. */
const JOB_BRANCH_PREFIX = "agent/";

/** A job's branch and the commit its completion named. */
export interface FinishedBranch {
  branch: string;
  sha: string;
}

export type BranchCleanup = "deleted" | "kept" | "gone";

/**
 * Deletes a finished job's branch (agent/<worker>/<job>) from the repository, once its
 * completion is merged, already merged, or finally failed or refused: the commit is on the
 * integration branch or will never be, and branches of every job ever run would otherwise
 * pile up. Kept: anything not under agent/, the integration and base branches, a branch
 * checked out in a worktree that is not PushPals' own, and a branch that no longer points at
 * the completion's commit (the delete is a compare-and-swap on that sha: a job run again on
 * the same branch, with a completion of its own, keeps it). Never throws: a branch left
 * behind costs nothing but a ref.
 */
export async function deleteFinishedBranch(settings: IntegrationSettings, finished: FinishedBranch, log: Logger): Promise<BranchCleanup> {
  const { branch, sha } = finished;
  const ref = `refs/heads/${branch}`;
  try {
    if (!(await isJobBranch(settings, branch))) return "kept";
    const holder = await checkedOutIn(settings.repoPath, ref);
    if (holder !== undefined && !(await isJobWorktree(settings.workDir, holder))) {
      log.info({ branch, worktree: holder }, "job branch kept: it is checked out in a worktree that is not PushPals'");
      return "kept";
    }
    const { exitCode } = await runGit(["rev-parse", "--verify", "--quiet", ref], { cwd: settings.repoPath, okCodes: [1] });
    if (exitCode === 1) return "gone";
    await git(settings.repoPath, ["update-ref", "-m", `pushpals: job branch ${branch} finished`, "-d", ref, sha]);
    log.info({ branch, sha }, "job branch deleted");
    return "deleted";
  } catch (error) {
    // Most often the branch moved on: a run again of the job committed there.
    const detail = error instanceof GitError ? error.stderr : errorMessage(error);
    log.info({ branch, sha, err: detail }, "job branch kept");
    return "kept";
  }
}

async function isJobBranch(settings: IntegrationSettings, branch: string): Promise<boolean> {
  if (!branch.startsWith(JOB_BRANCH_PREFIX) || branch === settings.branch || branch === settings.baseBranch) return false;
  // A refused completion may carry anything; only a name git accepts reaches update-ref.
  return assertBranchName("completion.branch", branch).then(
    () => true,
    () => false,
  );
}

/** The worktree that has `ref` checked out, if any. */
async function checkedOutIn(repoPath: string, ref: string): Promise<string | undefined> {
  const list = await retryingWorktreeRace(() => git(repoPath, ["worktree", "list", "--porcelain"]));
  let path = "";
  for (const line of list.split("\n")) {
    if (line.startsWith("worktree ")) path = line.slice("worktree ".length);
    if (line === `branch ${ref}`) return path;
  }
  return undefined;
}

/** Runners' job worktrees live under <workDir>/worktrees (git lists paths as they were given, or resolved). */
async function isJobWorktree(workDir: string, path: string): Promise<boolean> {
  const dir = join(workDir, "worktrees");
  return isInside(dir, path) || isInside(await realpath(dir).catch(() => dir), await realpath(path).catch(() => path));
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}
