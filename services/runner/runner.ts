import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { inItemSpan } from "../../shared/telemetry/item-span.js";
import { claimCallOptions } from "../../shared/claim-wait.js";
import { durationFromMs, fromTimestamp, sleep } from "../../shared/time.js";
import { heartbeatLoop, heartbeatNudges, register, type HeartbeatOptions } from "./heartbeat.js";
import type { WaitingFor } from "./agent/agent-types.js";
import { jobStop, type JobStop } from "./job-stop.js";
import type { ClaimedJob, JobEnding, RunnerContext } from "./runner-context.js";
import { runJob } from "./run-job.js";
import { slots } from "./slots.js";

export interface RunnerLoopOptions {
  /** How long one Claim long-polls for a job (at most 60 s; runRunner passes queues.claim_wait_seconds). */
  claimWaitMs?: number;
  /** Called as each job ends (tests and benchmarks watch this). */
  onJobEnded?(jobId: string, ending: JobEnding): void;
}

/**
 * The runner's life after start-up: register, then claim jobs (long-polling, up to
 * runner.concurrency at once) and run each, heartbeating all along. When the signal aborts it
 * stops claiming, stops its running jobs (they go back to the queue) and resolves once they have
 * all ended and cleaned up.
 */
export async function runClaimLoop(ctx: RunnerContext, signal: AbortSignal, options: RunnerLoopOptions = {}): Promise<void> {
  const { supervisor, clients, logger } = ctx;
  const active = new Map<string, { stop: JobStop; ended: Promise<void>; waitingFor?: () => WaitingFor | undefined }>();
  const nudges = heartbeatNudges();
  const cancel = (ids: string[]) => {
    for (const id of ids) active.get(id)?.stop.stop({ kind: "cancelled", detail: "cancel requested (seen on heartbeat)" });
  };
  const heartbeat: HeartbeatOptions = {
    execution: clients.execution,
    worker: { workerId: ctx.workerId, driver: ctx.driver.name, concurrency: supervisor.concurrency },
    activeJobIds: () => [...active.keys()],
    waitingOf: (jobId) => active.get(jobId)?.waitingFor?.(),
    nudges,
    onCancelRequested: cancel,
    intervalMs: supervisor.heartbeatSeconds * 1000,
    signal,
    logger,
  };
  if (!(await register(heartbeat))) return;
  const beating = heartbeatLoop(heartbeat);

  const free = slots(supervisor.concurrency);
  const claimWaitMs = Math.min(options.claimWaitMs ?? 30_000, 60_000);
  const claimWait = durationFromMs(claimWaitMs);
  let failures = 0;
  while (await free.acquire(signal)) {
    let claimed: ClaimedJob | undefined;
    try {
      const response = await clients.queues.claim(
        { queue: QueueName.JOBS, workerId: ctx.workerId, leaseDuration: durationFromMs(supervisor.leaseSeconds * 1000), wait: claimWait },
        claimCallOptions(claimWaitMs, signal),
      );
      failures = 0;
      if (response.item) {
        claimed = { item: response.item, leaseToken: response.leaseToken, leaseExpiresAt: fromTimestamp(response.leaseExpiresAt) ?? Date.now() };
      }
    } catch (error) {
      if (signal.aborted) {
        free.release();
        break;
      }
      failures += 1;
      logger.warn({ err: error, failures }, "claiming a job failed; retrying with backoff");
      free.release();
      await sleep(Math.min(10_000, 250 * 2 ** failures), signal);
      continue;
    }
    if (!claimed) {
      free.release();
      continue;
    }
    const job = claimed;
    const stop = jobStop();
    const entry: { waitingFor?: () => WaitingFor | undefined } = {};
    const watchers = {
      onConversation: (waitingFor: () => WaitingFor | undefined) => (entry.waitingFor = waitingFor),
      onWaitingChanged: () => nudges.nudge(),
    };
    const ended = inItemSpan("runner", job.item, () => runJob(ctx, job, stop, watchers))
      .catch((error: unknown) => {
        logger.error({ err: error, jobId: job.item.id }, "the job's run failed unexpectedly");
        return "unreported" as const;
      })
      .then((ending) => {
        active.delete(job.item.id);
        free.release();
        options.onJobEnded?.(job.item.id, ending);
      });
    active.set(job.item.id, Object.assign(entry, { stop, ended }));
  }

  // Shutting down: running jobs go back to the queue for another runner.
  for (const { stop } of active.values()) stop.stop({ kind: "shutdown", detail: "the runner is shutting down" });
  await Promise.all([...active.values()].map(({ ended }) => ended));
  await beating;
  logger.info("runner stopped");
}
