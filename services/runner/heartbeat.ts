import { hostname } from "node:os";
import type { Clients } from "../../shared/clients.js";
import type { Logger } from "../../shared/log.js";
import { sleep } from "../../shared/time.js";
import { VERSION } from "../../shared/version.js";
import { JobWaiting } from "../../gen/pushpals/v1/common_pb.js";
import type { WaitingFor } from "./agent/agent-types.js";

export interface WorkerIdentity {
  workerId: string;
  driver: string;
  concurrency: number;
}

export interface HeartbeatOptions {
  execution: Clients["execution"];
  worker: WorkerIdentity;
  activeJobIds(): string[];
  /** What each active job waits on now (undefined: it works). */
  waitingOf?(jobId: string): WaitingFor | undefined;
  /** Resolves the current wait between beats early (a job began or stopped waiting). */
  nudges?: Nudges;
  /** Jobs of this worker whose cancel was requested (the fallback to the event stream). */
  onCancelRequested(jobIds: string[]): void;
  intervalMs: number;
  signal: AbortSignal;
  logger: Logger;
}

const WAITING: Record<WaitingFor, JobWaiting> = { approval: JobWaiting.APPROVAL, answer: JobWaiting.ANSWER, paused: JobWaiting.PAUSED };

/** Wakes the heartbeat loop before its interval is up, so "waiting for …" shows at once. */
export interface Nudges {
  nudge(): void;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export function heartbeatNudges(): Nudges {
  let wake: (() => void) | undefined;
  let pending = false;
  return {
    nudge() {
      pending = true;
      wake?.();
    },
    async sleep(ms, signal) {
      if (pending) {
        pending = false;
        return;
      }
      await Promise.race([sleep(ms, signal), new Promise<void>((resolve) => (wake = resolve))]);
      wake = undefined;
      pending = false;
    },
  };
}

function beat(options: HeartbeatOptions) {
  const { worker } = options;
  const activeJobIds = options.activeJobIds();
  return options.execution.heartbeat(
    {
      workerId: worker.workerId,
      name: `pushpals runner ${worker.workerId}`,
      host: hostname(),
      drivers: [worker.driver],
      concurrency: worker.concurrency,
      activeJobIds,
      version: VERSION,
      activeJobs: activeJobIds.map((jobId) => {
        const waiting = options.waitingOf?.(jobId);
        return { jobId, waiting: waiting ? WAITING[waiting] : JobWaiting.UNSPECIFIED };
      }),
    },
    { signal: options.signal },
  );
}

/** Registers the worker, retrying with backoff until the control plane answers (or the signal aborts). */
export async function register(options: HeartbeatOptions): Promise<boolean> {
  for (let attempt = 1; !options.signal.aborted; attempt += 1) {
    try {
      await beat(options);
      options.logger.info({ driver: options.worker.driver }, "runner registered with the control plane");
      return true;
    } catch (error) {
      if (options.signal.aborted) break;
      options.logger.warn({ err: error, attempt }, "cannot register with the control plane yet; retrying (is it running at the configured URL?)");
      await sleep(Math.min(5000, 200 * 2 ** attempt), options.signal);
    }
  }
  return false;
}

/** Heartbeats until the signal aborts, passing on the cancels it learns of. */
export async function heartbeatLoop(options: HeartbeatOptions): Promise<void> {
  while (!options.signal.aborted) {
    await (options.nudges ? options.nudges.sleep(options.intervalMs, options.signal) : sleep(options.intervalMs, options.signal));
    if (options.signal.aborted) return;
    try {
      const { cancelRequestedJobIds } = await beat(options);
      if (cancelRequestedJobIds.length > 0) options.onCancelRequested(cancelRequestedJobIds);
    } catch (error) {
      if (!options.signal.aborted) options.logger.warn({ err: error }, "heartbeat failed; the runner keeps working and tries again");
    }
  }
}
