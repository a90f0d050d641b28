import { create } from "@bufbuild/protobuf";
import { CompletionResultSchema, type CheckResult, type CompletionPayload } from "../../gen/pushpals/v1/items_pb.js";
import type { Logger } from "../../shared/log.js";
import { errorMessage } from "../../shared/errors.js";
import { STRATEGIES } from "./apply/index.js";
import { runChecks } from "./checks/run-checks.js";
import type { IntegrationContext } from "./context.js";
import { failureOutcome } from "./failure.js";
import { git } from "./git/run-git.js";
import { findMergedJob } from "./history.js";
import { commitCount, ensureJobCommit, jobStart } from "./locate.js";
import { writeMergeRecord } from "./merge-records.js";
import { refuseOffPolicy } from "./policy-check.js";
import type { IntegrationOutcome } from "./outcome.js";
import { step, type IntegrationProgress } from "./progress.js";
import { publishPullRequest } from "./pull-requests/publish.js";
import { pushAtomic, type Remote } from "./remote.js";
import type { CheckSpec } from "./settings.js";
import { syncIntegration, type SyncState } from "./sync.js";
import { validateCompletion, type ValidCompletion } from "./validate-completion.js";
import { resetWorktree } from "./worktree.js";
import { strategyEnum } from "./strategy-enum.js";

export interface IntegrateOptions {
  /** The completion's queue item id, recorded in the merge note and the logs. */
  completionId?: string;
  /** Aborting kills a running check or git call; nothing is merged, the outcome is a retryable error. */
  signal?: AbortSignal;
  /** Already bound to this completion (job and completion ids); default the integrator's, bound here. */
  log?: Logger;
  /** Live output of each check as it runs (the outcome keeps only its head and tail). */
  onCheckOutput?: (check: CheckSpec, chunk: string) => void;
  /**
   * [approvals] push: called once checks pass, before the integration branch moves or anything
   * is pushed; resolves to go on, throws (PermissionDenied) to stop with nothing merged.
   */
  approvePush?: (push: PushToApprove) => Promise<void>;
  /**
   * [approvals] pull_request: called before the pull request is opened or updated; a throw
   * leaves it unpublished (the merge stands) and is reported as the pull request's error.
   */
  approvePullRequest?: (pr: { head: string; base: string; jobId: string }) => Promise<void>;
}

/** What a push approval is asked about. */
export interface PushToApprove {
  jobId: string;
  tip: string;
  branch: string;
  remote: string;
  summary: string;
}

/**
 * One completion's trip: sync → already merged? → apply on the detached HEAD → checks →
 * merge note → compare-and-swap of the integration branch → atomic push → pull request.
 * Yields progress as it goes and returns the outcome; never throws for a completion's
 * problem. The caller serializes calls (one worktree).
 */
export async function* integrateCompletion(
  ctx: IntegrationContext,
  payload: CompletionPayload,
  options: IntegrateOptions = {},
): AsyncGenerator<IntegrationProgress, IntegrationOutcome> {
  const { signal } = options;
  const log = options.log ?? ctx.log.child({ jobId: payload.jobId, completionId: options.completionId ?? "" });
  let stage = "validate";
  let resetTo = "HEAD";
  try {
    const completion = await validateCompletion(payload);
    stage = "sync";
    if (ctx.remote) yield step("fetch", `fetching ${ctx.settings.baseBranch} and ${ctx.settings.branch} from ${ctx.remote.name}`);
    await resetWorktree(ctx.worktree, "HEAD");
    const state = await syncIntegration(ctx, signal);
    resetTo = state.integrationTip;
    yield step("sync", describeSync(ctx, state));

    stage = "locate";
    await ensureJobCommit(ctx, completion, signal);
    const mergedAt = await findMergedJob(ctx.worktree, ctx.refs.integration, completion.jobId, completion.sha, signal);
    if (mergedAt) {
      log.info({ sha: mergedAt }, "already merged");
      yield step("already_merged", `${completion.jobId} is already on ${ctx.settings.branch} (${mergedAt.slice(0, 12)}); not merging it again`);
      const pr = yield* pullRequestStep(ctx, log, signal, approvePullRequest(options, ctx, completion.jobId));
      return { kind: "already_merged", result: result(ctx, mergedAt, [], pr.url, true), ...pr.failure };
    }

    stage = "apply";
    const applied = yield* apply(ctx, completion, state, signal);
    if (applied.kind === "conflicted") {
      await resetWorktree(ctx.worktree, state.integrationTip);
      log.info({ files: applied.files }, applied.message);
      yield step("conflict", `${applied.message}: ${applied.files.join(", ") || "no files (not a fast-forward)"}`);
      return { kind: "conflicted", files: applied.files, message: applied.message, ontoRef: ctx.settings.branch, ontoSha: state.integrationTip };
    }

    stage = "check";
    // Recorded with every result so a check that passes and fails on one tree shows as flaky (autonomy reads it).
    const tree = await git(ctx.worktree, ["rev-parse", "HEAD^{tree}"]);
    const checks: CheckResult[] = [];
    for await (const event of runChecks(ctx.settings.checks, ctx.runCheck, ctx.worktree, signal, {
      runId: options.completionId,
      logger: log,
      onOutput: options.onCheckOutput,
    })) {
      if (event.kind === "started") {
        yield step("check", `running ${event.check.name}: ${event.check.command}`);
        continue;
      }
      const check = event.result;
      check.tree = tree;
      checks.push(check);
      yield step("check", `${check.name} ${check.passed ? "passed" : check.timedOut ? "timed out" : `failed (exit ${check.exitCode})`}`, check);
    }
    signal?.throwIfAborted();
    const failed = checks.find((check) => !check.passed);
    if (failed) {
      await resetWorktree(ctx.worktree, state.integrationTip);
      log.info({ check: failed.name, exitCode: failed.exitCode, timedOut: failed.timedOut }, "check failed; nothing merged");
      return { kind: "checks_failed", checks, failed };
    }

    if (ctx.remote && options.approvePush) {
      // Held before the branch moves: a restart while waiting finds nothing half-merged and asks the same request again.
      stage = "approval";
      yield step("approval", `waiting for approval to push ${applied.tip.slice(0, 12)} to ${ctx.remote.name}/${ctx.settings.branch}`);
      await options.approvePush({ jobId: completion.jobId, tip: applied.tip, branch: ctx.settings.branch, remote: ctx.remote.name, summary: completion.payload.summary });
      signal?.throwIfAborted();
      yield step("approval", `push approved`);
    }

    stage = "merge";
    await writeMergeRecord(
      ctx.worktree,
      ctx.refs.notes,
      { commit: applied.tip, completionId: options.completionId ?? "", strategy: ctx.settings.strategy, mergedAtMs: ctx.clock(), completion: payload, checks },
      ctx.identity,
    );
    // Compare-and-swap: moves only if nobody moved the branch since sync.
    await git(ctx.worktree, ["update-ref", "-m", `pushpals: merge ${completion.jobId}`, ctx.refs.integration, applied.tip, state.integrationTip]);
    resetTo = applied.tip;

    if (ctx.remote) {
      stage = "push";
      yield step("push", `pushing ${ctx.settings.branch} to ${ctx.remote.name}`);
      await push(ctx, ctx.remote, state, applied.tip, signal).catch(async (error: unknown) => {
        resetTo = state.integrationTip;
        await git(ctx.worktree, ["update-ref", ctx.refs.integration, state.integrationTip, applied.tip]);
        throw error;
      });
      yield step("push", `pushed ${applied.tip.slice(0, 12)} to ${ctx.remote.name}/${ctx.settings.branch}`);
    }
    log.info({ sha: applied.tip, checks: checks.length }, "merged");
    const pr = yield* pullRequestStep(ctx, log, signal, approvePullRequest(options, ctx, completion.jobId));
    return { kind: "merged", result: result(ctx, applied.tip, checks, pr.url, false), ...pr.failure };
  } catch (error) {
    const outcome = failureOutcome(stage, error, ctx.worktree);
    log.warn({ stage, code: outcome.error.code, err: outcome.error.rawMessage }, "integration failed");
    await resetWorktree(ctx.worktree, resetTo).catch((resetError: unknown) => log.error({ err: errorMessage(resetError) }, "worktree reset failed"));
    return outcome;
  }
}

async function* apply(ctx: IntegrationContext, completion: ValidCompletion, state: SyncState, signal?: AbortSignal) {
  const from = await jobStart(ctx.worktree, completion, state.baseTip, signal);
  await refuseOffPolicy(ctx, { from, sha: completion.sha, integrationTip: state.integrationTip, baseTip: state.baseTip }, signal);
  const count = await commitCount(ctx.worktree, from, completion.sha);
  // The run began with a full reset and sync leaves the worktree clean, so a checkout
  // is only needed when sync moved the branch without the worktree (fetch, fast-forward).
  if ((await git(ctx.worktree, ["rev-parse", "HEAD"])) !== state.integrationTip) await resetWorktree(ctx.worktree, state.integrationTip);
  yield step("apply", `${ctx.settings.strategy} of ${count} commit(s) ${from.slice(0, 12)}..${completion.sha.slice(0, 12)} onto ${ctx.settings.branch}`);
  return STRATEGIES[ctx.settings.strategy]({
    cwd: ctx.worktree,
    jobId: completion.jobId,
    sha: completion.sha,
    from,
    summary: completion.payload.summary,
    env: ctx.identity,
    signal,
  });
}

/** The new tip and its merge note, together or not at all, each only over what sync saw on the remote. */
function push(ctx: IntegrationContext, remote: Remote, state: SyncState, tip: string, signal?: AbortSignal): Promise<void> {
  return pushAtomic(
    ctx.worktree,
    remote,
    [
      { source: tip, target: `refs/heads/${ctx.settings.branch}`, expect: state.remoteIntegration },
      { source: ctx.refs.notes, target: ctx.refs.notes, expect: state.remoteNotes },
    ],
    ctx.identity,
    signal,
  );
}

function approvePullRequest(options: IntegrateOptions, ctx: IntegrationContext, jobId: string): (() => Promise<void>) | undefined {
  const approve = options.approvePullRequest;
  return approve && (() => approve({ head: ctx.settings.branch, base: ctx.settings.baseBranch, jobId }));
}

/** A PR that cannot be updated (or was not approved) does not undo a pushed merge; the next merge tries again. */
async function* pullRequestStep(
  ctx: IntegrationContext,
  log: Logger,
  signal?: AbortSignal,
  approve?: () => Promise<void>,
): AsyncGenerator<IntegrationProgress, { url: string; failure: { pullRequestError?: string } }> {
  if (!ctx.pullRequests) return { url: "", failure: {} };
  try {
    if (approve) {
      yield step("pull_request", `waiting for approval to publish the pull request ${ctx.settings.branch} → ${ctx.settings.baseBranch}`);
      await approve();
    }
    const updated = await publishPullRequest(ctx, signal);
    if (updated) yield { case: "pullRequestUpdated", value: updated };
    return { url: updated?.url ?? "", failure: {} };
  } catch (error) {
    const message = errorMessage(error);
    log.warn({ err: message }, "pull request not updated");
    yield step("pull_request", `pull request not updated: ${message}`);
    return { url: "", failure: { pullRequestError: message } };
  }
}

function result(ctx: IntegrationContext, sha: string, checks: CheckResult[], prUrl: string, alreadyMerged: boolean) {
  return create(CompletionResultSchema, {
    mergedSha: sha,
    integrationBranch: ctx.settings.branch,
    strategy: strategyEnum(ctx.settings.strategy),
    pushed: ctx.remote !== undefined,
    prUrl,
    checks,
    alreadyMerged,
  });
}

function describeSync(ctx: IntegrationContext, state: SyncState): string {
  const where = `${ctx.settings.branch} at ${state.integrationTip.slice(0, 12)}`;
  switch (state.baseSync) {
    case "none":
      return `${where}; contains ${ctx.settings.baseBranch}`;
    case "fast-forward":
      return `${where}; fast-forwarded to ${ctx.settings.baseBranch}`;
    case "merge":
      return `${where}; merged ${ctx.settings.baseBranch} ${state.baseTip.slice(0, 12)} in`;
  }
}
