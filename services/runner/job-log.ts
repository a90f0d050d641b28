import { create } from "@bufbuild/protobuf";
import { LogStream } from "../../gen/pushpals/v1/common_pb.js";
import { JobLogSchema } from "../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../../shared/clients.js";
import { errorMessage, leaseLostDetail } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { sleep, toTimestamp } from "../../shared/time.js";
import type { LogEntry } from "./output-cap.js";

export interface JobLogOptions {
  execution: Clients["execution"];
  jobId: string;
  leaseToken: string;
  /** Total bytes of output the job may log (runner.maxLogBytes). */
  maxLogBytes: number;
  /** Once past it, the log says so and the job is stopped. */
  onBudgetExceeded(detail: string): void;
  /** AppendJobLogs said the lease is gone. */
  onLeaseLost(detail: string): void;
  logger: Logger;
  /** How long a line may wait before it is sent (default 200 ms). */
  flushMs?: number;
  /** Lines per AppendJobLogs call (default 500; the server takes up to 1000). */
  batchLines?: number;
  /** Lines buffered before writers wait for a flush (default 5000). */
  maxBufferedLines?: number;
}

/** A job's output on its way to the job_log events. */
export interface JobLog {
  /** Buffers a line; resolves at once unless the buffer is full, then when there is room. */
  write(entry: LogEntry): Promise<void>;
  /** A line of the runner's own (stage changes, budgets, sandbox notes). */
  system(text: string): Promise<void>;
  /** Sends everything buffered so far. */
  flush(): Promise<void>;
  /** Bytes of command output logged so far. */
  readonly bytes: number;
}

const RETRIES = 3;

/**
 * Batches a job's lines into AppendJobLogs calls: sent when a batch is full, on a short timer,
 * and on flush(); one call in flight at a time so lines keep their order (the server numbers
 * them). Counts the bytes of command output against the job's log budget; past it, the output is
 * dropped, one system line says why, and the job is stopped. Lines written after the lease was
 * lost are dropped: only the lease holder may write the log.
 */
export function openJobLog(options: JobLogOptions): JobLog {
  const flushMs = options.flushMs ?? 200;
  const batchLines = options.batchLines ?? 500;
  const maxBuffered = options.maxBufferedLines ?? 5000;
  const { logger } = options;
  let buffer: LogEntry[] = [];
  let bytes = 0;
  let overBudget = false;
  let leaseLost = false;
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (buffer.length >= batchLines) void flush();
    else timer ??= setTimeout(() => void flush(), flushMs);
  };

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    sending = sending.then(async () => {
      while (buffer.length > 0 && !leaseLost) {
        const batch = buffer.slice(0, batchLines);
        buffer = buffer.slice(batch.length);
        await send(batch);
      }
      if (leaseLost) buffer = [];
    });
    return sending;
  }

  async function send(batch: LogEntry[]): Promise<void> {
    const lines = batch.map((entry) => create(JobLogSchema, { stream: entry.stream, text: entry.text, time: toTimestamp(entry.time) }));
    for (let attempt = 1; ; attempt += 1) {
      try {
        await options.execution.appendJobLogs({ jobId: options.jobId, leaseToken: options.leaseToken, lines });
        return;
      } catch (error) {
        if (leaseLostDetail(error) !== undefined) {
          leaseLost = true;
          options.onLeaseLost(errorMessage(error));
          return;
        }
        if (attempt > RETRIES) {
          logger.warn({ err: error, lines: batch.length }, "could not append job log lines after retries; they are lost, the job goes on");
          return;
        }
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  async function add(entry: LogEntry): Promise<void> {
    if (leaseLost) return;
    buffer.push(entry);
    if (buffer.length >= maxBuffered) await flush();
    else schedule();
  }

  return {
    async write(entry) {
      if (overBudget) return;
      const size = Buffer.byteLength(entry.text) + 1;
      if (bytes + size > options.maxLogBytes) {
        overBudget = true;
        const detail = `the job's output passed its log budget of ${options.maxLogBytes} bytes (runner.maxLogBytes); make the commands quieter or raise the budget`;
        await add({ stream: LogStream.SYSTEM, text: detail, time: Date.now() });
        options.onBudgetExceeded(detail);
        return;
      }
      bytes += size;
      await add(entry);
    },
    system: (text) => add({ stream: LogStream.SYSTEM, text, time: Date.now() }),
    flush,
    get bytes() {
      return bytes;
    },
  };
}
