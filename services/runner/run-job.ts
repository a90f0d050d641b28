import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { errorMessage, leaseLostDetail } from "../../shared/errors.js";
import type { Sandbox } from "../../sandbox/driver.js";
import { commitTree, diffOf, inspectChanges, type JobWorkspace, type StartPoint } from "./workspace/index.js";
import { dropCheckpoint, findCheckpoint, restoreCheckpoint, saveCheckpoint } from "./workspace/checkpoint.js";
import { readJobHistory } from "./job-history.js";
import { checkChange } from "./scope-check.js";
import { watchJobEvents } from "./job-watch.js";
import { commitMessage } from "./commit-message.js";
import { completeJob, enqueueCompletion } from "./completion.js";
import { armWallTime, jobBudgets } from "./job-budgets.js";
import { errorEvent, failureReport } from "./job-ending.js";
import { jobEvents } from "./job-events.js";
import { JobFailure } from "./job-failure.js";
import { openJobLog } from "./job-log.js";
import type { JobStop } from "./job-stop.js";
import { jobTask } from "./job-task.js";
import type { GitDirWatch } from "./git-dir-guard.js";
import type { LaneArtifact } from "./lanes/lane.js";
import { laneSandboxSpec } from "./lanes/lane-sandbox.js";
import { keepJobLease } from "./job-lease.js";
import { CONVERSATION_EVENTS, jobConversation, type JobConversation } from "./job-conversation.js";
import type { ClaimedJob, JobEnding, RunnerContext } from "./runner-context.js";
import { stageCheckedChange } from "./scope-stage.js";
import { clipEnd } from "../../shared/text/clip.js";
import { clearEnvironment, runSetupStage, type PreparedEnvironment } from "./setup-stage.js";

/** The diff attached to a job is cut here; the branch has all of it. */
const MAX_DIFF_BYTES = 4 * 1024 * 1024;
/** Errors the queue keeps are cut here (the server takes 64 KiB). */
const MAX_ERROR_CHARS = 16_000;

/**
 * One job from claim to Complete or Fail: worktree → sandbox → lane → scope → commit →
 * completion, with the lease renewed, a cancel followed live, the budgets armed and every stage
 * in the job's events. Whatever happens, the sandbox is stopped and the worktree removed; a job
 * whose lease was lost is left alone (no commit, no completion, no Fail).
 */
export async function runJob(ctx: RunnerContext, claimed: ClaimedJob, stop: JobStop, watchers: JobWatchers = {}): Promise<JobEnding> {
  const ending = await runJobAttempt(ctx, claimed, stop, watchers);
  // A job that ended for good needs its checkpoint no more; one that may run again keeps it.
  if (ending === "completed" || ending === "failed" || ending === "cancelled") {
    await dropCheckpoint(ctx.repo, claimed.item.id).catch((error: unknown) =>
      ctx.logger.warn({ err: error, jobId: claimed.item.id }, "could not remove the job's checkpoint ref; it is harmless"),
    );
  }
  return ending;
}

/** What the claim loop learns of a running job (its heartbeat reports it). */
export interface JobWatchers {
  /** Called once the job's conversation exists: what it waits on, asked at each heartbeat. */
  onConversation?(waitingFor: JobConversation["waitingFor"]): void;
  /** The job began or stopped waiting on a person (the heartbeat tells the control plane at once). */
  onWaitingChanged?(): void;
}

async function runJobAttempt(ctx: RunnerContext, claimed: ClaimedJob, stop: JobStop, watchers: JobWatchers): Promise<JobEnding> {
  const { item: job, leaseToken } = claimed;
  const { clients, supervisor } = ctx;
  const logger = ctx.logger.child({ jobId: job.id, sessionId: job.sessionId, attempt: job.attempts });
  const lease = keepJobLease({ queues: clients.queues, jobId: job.id, leaseToken, leaseMs: supervisor.leaseSeconds * 1000, expiresAt: claimed.leaseExpiresAt, stop, logger });
  const watching = new AbortController();
  const conversation = jobConversation({
    sessions: clients.sessions,
    sessionId: job.sessionId,
    jobId: job.id,
    logger,
    approvals: { client: clients.approvals, policy: ctx.approvals },
    onWaitingChanged: () => watchers.onWaitingChanged?.(),
  });
  watchers.onConversation?.(conversation.waitingFor);
  const watch = watchJobEvents({
    sessions: clients.sessions,
    sessionId: job.sessionId,
    jobId: job.id,
    signal: watching.signal,
    onCancel: (reason) => stop.stop({ kind: "cancelled", detail: reason || "cancel requested" }),
    // Once this runner reported the ending itself the stop changes nothing; before, the job is someone else's.
    onGone: (detail) => stop.stop({ kind: "lease_lost", detail }),
    conversationEvents: CONVERSATION_EVENTS,
    onConversation: (event) => conversation.receive(event),
    onStart: async (afterSeq) => conversation.preload(await readJobHistory(clients.sessions, job.sessionId, job.id, afterSeq, watching.signal)),
    logger,
  });
  const log = openJobLog({
    execution: clients.execution,
    jobId: job.id,
    leaseToken,
    maxLogBytes: supervisor.maxLogBytes,
    onBudgetExceeded: (detail) => stop.stop({ kind: "budget", detail }),
    onLeaseLost: (detail) => stop.stop({ kind: "lease_lost", detail }),
    logger,
  });
  const events = jobEvents({ sessions: clients.sessions, sessionId: job.sessionId, jobId: job.id, log, logger });
  const putArtifact = async (artifact: LaneArtifact) => {
    try {
      await clients.execution.putArtifact({ jobId: job.id, leaseToken, ...artifact });
    } catch (error) {
      logger.warn({ err: error, artifact: artifact.name }, "could not attach an artifact to the job; the job goes on");
    }
  };
  const attachDiff = async (made: JobWorkspace, sha: string) => {
    const diff = await diffOf(made, sha, MAX_DIFF_BYTES).catch((error: unknown) => void logger.warn({ err: error }, "could not make the job's diff; the job goes on"));
    if (diff !== undefined) await putArtifact({ name: "diff", mediaType: "text/x-diff", content: new TextEncoder().encode(diff) });
  };
  /** A LeaseLost answer to Complete means the job is someone else's now. */
  const complete = (result: Parameters<typeof completeJob>[3]) =>
    completeJob(clients.queues, job, leaseToken, result).catch((error: unknown) => {
      if (leaseLostDetail(error) !== undefined) stop.stop({ kind: "lease_lost", detail: errorMessage(error) });
      throw error;
    });
  let workspace: JobWorkspace | undefined;
  let sandbox: Sandbox | undefined;
  let gitWatch: GitDirWatch | undefined;
  let tampered: JobFailure | undefined;
  let wall: { disarm(): void } | undefined;
  logger.info({ lane: job.payload?.kind.case === "taskExecuteV2" ? job.payload.kind.value.lane : undefined }, "job claimed");

  try {
    await watch.started;
    await lease.confirm(); // a cancel requested before the watch began is seen here
    const { task, lane } = jobTask(job, ctx.lanes);
    const budgets = jobBudgets(supervisor, task.planning?.budgets);
    const checkpoint = await findCheckpoint(ctx.repo, job.id, stop.signal);
    const start: StartPoint = checkpoint
      ? { ref: checkpoint.baseSha, sha: checkpoint.baseSha, reason: "where an earlier attempt of the job took its checkpoint" }
      : task.baseRef
        ? { ref: task.baseRef, reason: "the job names its base_ref" }
        : await ctx.startPoint(stop.signal);

    const at = start.sha ? ` at ${start.sha.slice(0, 12)}` : "";
    await events.stage("workspace", `git worktree on agent/${ctx.workerId}/${job.id} from ${start.ref}${at} (${start.reason})`);
    const made = await ctx.workspaces.create({ jobId: job.id, baseRef: start.sha ?? start.ref, signal: stop.signal });
    workspace = made;
    logger.info({ worktree: made.path, baseSha: made.baseSha, warm: made.warm }, "job worktree ready");
    if (checkpoint) {
      await restoreCheckpoint(made, checkpoint, stop.signal);
      await log.system(`[workspace] restored the checkpoint ${checkpoint.sha.slice(0, 12)} of an earlier attempt (its runner stopped while the job waited on a person)`);
      logger.info({ checkpoint: checkpoint.sha }, "job worktree restored from an earlier attempt's checkpoint");
    }
    gitWatch = await ctx.gitDirGuard.watch({ jobId: job.id, gitDir: made.gitDir }, logger);

    const prepared: PreparedEnvironment | undefined = await runSetupStage({
      jobId: job.id,
      owner: ctx.workerId,
      repo: ctx.repo,
      workspace: made,
      driver: ctx.driver,
      config: ctx.environment,
      cache: ctx.environments,
      sandboxEnv: ctx.sandboxEnv,
      hostEnv: process.env,
      allowUnisolated: supervisor.allowUnisolated,
      maxOutputBytes: budgets.maxOutputBytesPerCommand,
      log,
      events,
      stop,
      logger,
    });
    // The setup sandbox is gone: the agent's has no network and none of the setup secrets. What setup
    // did to the git control files is caught by the guard's one check after the job's last command
    // (its baseline predates setup; a check is final, so it cannot run twice).

    await events.stage("sandbox", `starting a ${ctx.driver.name} sandbox on the worktree`);
    try {
      const env = prepared?.sandboxEnv ?? ctx.sandboxEnv;
      const image = prepared?.image ? { image: prepared.image } : {};
      sandbox = await ctx.driver.start(laneSandboxSpec(lane, { jobId: job.id, owner: ctx.workerId, worktree: workspace.path, env, ...image, logger }), stop.signal);
    } catch (error) {
      stop.throwIfStopped();
      throw new JobFailure(`the ${ctx.driver.name} sandbox would not start: ${errorMessage(error)}`, "retry", { cause: error });
    }

    // Drivers that mount the worktree (process, bwrap, docker) copy nothing; a pod gets it as a tar.
    await sandbox.copyIn(workspace.path);

    const armed = armWallTime(budgets, (detail) => stop.stop({ kind: "budget", detail }));
    wall = armed;
    const running = sandbox;
    conversation.attach(running, armed, async (note) => {
      // The policy first: a refused file never reaches .git/objects, not even in a checkpoint.
      await running.copyOut(made.path);
      const verdict = checkChange(await inspectChanges(made, stop.signal), ctx.policy, task.planning?.scope);
      if (!verdict.ok) {
        logger.warn({ problem: verdict.message }, "the worktree breaks the policy or scope as it stands; not checkpointed");
        return;
      }
      const sha = await saveCheckpoint(made, job.id, note, stop.signal);
      logger.info({ checkpoint: sha, note }, "checkpointed the job's worktree before waiting on a person");
    });
    const result = await lane.run({ jobId: job.id, task, sandbox, log, events, budgets, signal: stop.signal, putArtifact, logger, conversation: conversation.agent });
    wall.disarm();
    stop.throwIfStopped();
    await sandbox.copyOut(workspace.path);
    await sandbox.stop(); // nothing may run in the worktree while it is staged and committed
    tampered = await gitWatch.check();
    if (tampered) throw tampered;
    if (prepared) await clearEnvironment(ctx.repo, workspace, prepared.environment, stop.signal);

    await events.stage("scope", "checking the change against the operator's [policy] and the plan's write scope, before staging it");
    const staged = await stageCheckedChange(workspace, ctx.policy, task.planning?.scope, stop.signal);
    const changedFiles = staged.changes.map((change) => change.path);

    if (changedFiles.length === 0) {
      await events.stage("completion", "no changes: nothing to commit and no completion to enqueue");
      await lease.confirm();
      const summary = `${result.summary ? `${result.summary}; ` : ""}no changes, so nothing was committed and no completion was enqueued`;
      await log.flush();
      await complete({ branch: "", sha: "", changedFiles: [], summary, completionId: "" });
      logger.info("job completed without changes");
      return "completed";
    }

    await events.stage("commit", `committing ${changedFiles.length} changed file${changedFiles.length === 1 ? "" : "s"} on ${workspace.branch}`);
    await lease.confirm(); // never commit once the job may be someone else's
    const summary = result.summary || `job ${job.id}`;
    const message = commitMessage({ jobId: job.id, attempt: job.attempts, workerId: ctx.workerId, summary, instruction: task.instruction });
    const sha = await commitTree(workspace, staged.tree, message, ctx.identity);
    await attachDiff(workspace, sha);

    await events.stage("completion", `enqueueing the completion of ${sha.slice(0, 12)} for integration`);
    await lease.confirm();
    const draft = { branch: workspace.branch, sha, baseSha: workspace.baseSha, summary, changedFiles };
    const completion = await enqueueCompletion(clients.queues, job, task, draft, logger);
    await log.flush();
    const { branch, sha: completedSha, changedFiles: files, summary: completedSummary } = completion.completion;
    await complete({ branch, sha: completedSha, changedFiles: files, summary: completedSummary, completionId: completion.id });
    logger.info({ sha: completedSha, completionId: completion.id, changedFiles: files.length }, "job completed");
    return "completed";
  } catch (error) {
    wall?.disarm();
    await sandbox?.stop().catch(() => undefined); // nothing more runs before the git control files are checked (finally logs a failed stop)
    // Tampering outranks the stop reason and the error (a retry would run the same hostile work), but not a lost lease.
    tampered ??= await gitWatch?.check();
    const report = failureReport(tampered ?? error, tampered && stop.reason?.kind !== "lease_lost" ? undefined : stop.reason, logger);
    if (!report) {
      logger.warn({ reason: stop.reason?.detail }, "the job's lease is lost: stopped without committing or reporting (another worker may run it)");
      return "lease_lost";
    }
    const error_ = clipEnd(report.error, MAX_ERROR_CHARS + 1);
    await log.system(`job ${report.mode === FailMode.FINAL ? "failed" : "stopped"}: ${error_}`);
    await events.record(errorEvent({ ...report, error: error_ }));
    await log.flush();
    try {
      await clients.queues.fail({ itemId: job.id, leaseToken, error: error_, mode: report.mode }, { signal: AbortSignal.timeout(10_000) });
    } catch (failError) {
      logger.error({ err: failError, error: error_ }, "could not record the job's failure; its lease will run out and it will be retried");
      return "unreported";
    }
    logger.info({ mode: FailMode[report.mode], error: error_ }, "job did not complete");
    if (stop.reason?.kind === "cancelled") return "cancelled";
    return report.mode === FailMode.FINAL ? "failed" : "retrying";
  } finally {
    wall?.disarm();
    watching.abort();
    await lease.release();
    await sandbox?.stop().catch((error: unknown) => logger.warn({ err: error }, "the sandbox did not stop cleanly"));
    await gitWatch?.check(); // restores, on a path that did not check yet
    if (workspace) {
      await ctx.workspaces
        .remove(workspace)
        .catch((error: unknown) => logger.warn({ err: error, worktree: workspace?.path }, "could not remove the job's worktree; the next sweep will"));
    }
    await watch.done;
  }
}
