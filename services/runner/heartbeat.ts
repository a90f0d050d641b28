import { hostname } from "node:os";
import type { Clients } from "../../shared/clients.js";
import type { Logger } from "../../shared/log.js";
import { sleep } from "../../shared/time.js";
import { VERSION } from "../../shared/version.js";

export interface WorkerIdentity {
  workerId: string;
  driver: string;
  concurrency: number;
}

export interface HeartbeatOptions {
  execution: Clients["execution"];
  worker: WorkerIdentity;
  activeJobIds(): string[];
  /** Jobs of this worker whose cancel was requested (the fallback to the event stream). */
  onCancelRequested(jobIds: string[]): void;
  intervalMs: number;
  signal: AbortSignal;
  logger: Logger;
}

function beat(options: HeartbeatOptions) {
  const { worker } = options;
  return options.execution.heartbeat(
    {
      workerId: worker.workerId,
      name: `pushpals runner ${worker.workerId}`,
      host: hostname(),
      drivers: [worker.driver],
      concurrency: worker.concurrency,
      activeJobIds: options.activeJobIds(),
      version: VERSION,
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
    await sleep(options.intervalMs, options.signal);
    if (options.signal.aborted) return;
    try {
      const { cancelRequestedJobIds } = await beat(options);
      if (cancelRequestedJobIds.length > 0) options.onCancelRequested(cancelRequestedJobIds);
    } catch (error) {
      if (!options.signal.aborted) options.logger.warn({ err: error }, "heartbeat failed; the runner keeps working and tries again");
    }
  }
}
