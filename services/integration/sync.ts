import { failedPrecondition } from "../../shared/errors.js";
import { retryingWorktreeRace } from "../../shared/worktree-race.js";
import { unmergedFiles } from "./apply/conflicts.js";
import type { IntegrationContext } from "./context.js";
import { GitError, git, gitTest, runGit } from "./git/run-git.js";
import { fetchRefs, listRemoteRefs, pushAtomic } from "./remote.js";
import { resetWorktree } from "./worktree.js";

/**
 * Where the integration branch stands after sync, and what the remote held, for the
 * compare-and-swap of the next push ("" = the remote has no such ref).
 */
export interface SyncState {
  integrationTip: string;
  baseTip: string;
  remoteIntegration: string;
  remoteNotes: string;
  /** How the base got into the integration branch this time. */
  baseSync: "none" | "fast-forward" | "merge";
}

/**
 * Brings the local integration branch up to date:
 * 1. With a remote, the remote is the truth: fetch the base, the integration branch and
 *    the merge notes, and set the local integration branch to the remote's (or to the
 *    base when the remote has none yet). Local commits a crash left unpushed are
 *    dropped; their completions were never reported merged, so they are retried and
 *    merged again, once.
 * 2. Base sync: when the base has commits the integration branch lacks, fast-forward
 *    (integration has nothing of its own) or merge the base in with a merge commit
 *    (never rebase: pushed history is not rewritten). A conflict there is for a person:
 *    FailedPrecondition naming the files. The result is pushed at once, on its own, so a
 *    job's failing checks are never blamed on the base.
 */
export async function syncIntegration(ctx: IntegrationContext, signal?: AbortSignal): Promise<SyncState> {
  const { refs, worktree: cwd, remote } = ctx;
  await assertNotCheckedOutElsewhere(ctx);
  let remoteIntegration = "";
  let remoteNotes = "";

  if (remote) {
    const baseOnRemote = `refs/heads/${ctx.settings.baseBranch}`;
    const integrationOnRemote = `refs/heads/${ctx.settings.branch}`;
    const found = await listRemoteRefs(cwd, remote, [baseOnRemote, integrationOnRemote, refs.notes], signal);
    if (!found.has(baseOnRemote)) {
      throw failedPrecondition(`remote ${remote.name} has no branch ${ctx.settings.baseBranch}; push it there first (git push ${remote.name} ${ctx.settings.baseBranch})`);
    }
    const refspecs = [`+${baseOnRemote}:${refs.base}`];
    if (found.has(integrationOnRemote)) refspecs.push(`+${integrationOnRemote}:${refs.remoteIntegration}`);
    if (found.has(refs.notes)) refspecs.push(`+${refs.notes}:${refs.notes}`);
    await fetchRefs(cwd, remote, refspecs, signal);
    if (found.has(integrationOnRemote)) remoteIntegration = await revParse(cwd, refs.remoteIntegration);
    if (found.has(refs.notes)) remoteNotes = await revParse(cwd, refs.notes);
    else await git(cwd, ["update-ref", "-d", refs.notes]);
  }

  const baseTip = await revParse(cwd, refs.base).catch(() => {
    throw failedPrecondition(`the base branch ${ctx.settings.baseBranch} does not exist in ${ctx.settings.repoPath}; create it or set repo.baseBranch`);
  });
  const localTip = await revParseQuiet(cwd, refs.integration);
  const startTip = remote ? remoteIntegration || baseTip : localTip || baseTip;
  if (localTip !== startTip) {
    if (localTip) ctx.log.warn({ from: localTip, to: startTip }, "integration branch set to the remote's; commits a crash left unpushed are dropped");
    await git(cwd, ["update-ref", "-m", "pushpals: sync integration branch", refs.integration, startTip]);
  }

  const { target, baseSync } = await baseSyncTarget(ctx, startTip, baseTip, signal);
  if (baseSync === "none") {
    return { integrationTip: startTip, baseTip, remoteIntegration, remoteNotes, baseSync };
  }
  await git(cwd, ["update-ref", "-m", `pushpals: sync ${ctx.settings.baseBranch}`, refs.integration, target, startTip]);
  if (remote) {
    try {
      await pushAtomic(cwd, remote, [{ source: target, target: `refs/heads/${ctx.settings.branch}`, expect: remoteIntegration }], ctx.identity, signal);
    } catch (error) {
      await git(cwd, ["update-ref", refs.integration, startTip, target]);
      throw error;
    }
    remoteIntegration = target;
  }
  return { integrationTip: target, baseTip, remoteIntegration, remoteNotes, baseSync };
}

/** The commit the integration branch should be at to contain the base, and how it gets there. */
async function baseSyncTarget(ctx: IntegrationContext, tip: string, baseTip: string, signal?: AbortSignal): Promise<{ target: string; baseSync: SyncState["baseSync"] }> {
  const cwd = ctx.worktree;
  if (await gitTest(cwd, ["merge-base", "--is-ancestor", baseTip, tip], signal)) return { target: tip, baseSync: "none" };
  if (await gitTest(cwd, ["merge-base", "--is-ancestor", tip, baseTip], signal)) return { target: baseTip, baseSync: "fast-forward" };
  await resetWorktree(cwd, tip);
  const { base, branch } = { base: ctx.settings.baseBranch, branch: ctx.settings.branch };
  try {
    await git(cwd, ["merge", "--no-ff", "--no-commit", "--no-log", baseTip], { env: ctx.identity, signal });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const files = await unmergedFiles(cwd);
    await resetWorktree(cwd, tip);
    if (files.length === 0) throw error;
    throw failedPrecondition(
      `${base} has changes that conflict with ${branch} in ${files.join(", ")}; merge ${base} into ${branch} by hand (git merge ${base}), push it, then integration resumes`,
    );
  }
  const message = `Sync ${base} into ${branch}\n\nMerge ${baseTip.slice(0, 12)} so jobs integrate on top of the latest ${base}.\n`;
  await git(cwd, ["commit", "--allow-empty", "--cleanup=whitespace", "--file=-"], { env: ctx.identity, signal, input: message });
  return { target: await git(cwd, ["rev-parse", "HEAD"]), baseSync: "merge" };
}

/** Moving a branch that a person has checked out would make their worktree look changed under them. */
async function assertNotCheckedOutElsewhere(ctx: IntegrationContext): Promise<void> {
  const list = await retryingWorktreeRace(() => git(ctx.worktree, ["worktree", "list", "--porcelain"]));
  let path = "";
  for (const line of list.split("\n")) {
    if (line.startsWith("worktree ")) path = line.slice("worktree ".length);
    if (line === `branch ${ctx.refs.integration}`) {
      throw failedPrecondition(
        `the integration branch ${ctx.settings.branch} is checked out in ${path}; switch that worktree to another branch (PushPals moves ${ctx.settings.branch} itself)`,
      );
    }
  }
}

async function revParse(cwd: string, ref: string): Promise<string> {
  return git(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
}

async function revParseQuiet(cwd: string, ref: string): Promise<string> {
  const { stdout } = await runGit(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd, okCodes: [1] });
  return stdout.trim();
}
