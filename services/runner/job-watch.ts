import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../../shared/clients.js";
import type { Logger } from "../../shared/log.js";
import { sleep } from "../../shared/time.js";

export interface JobWatchOptions {
  sessions: Clients["sessions"];
  sessionId: string;
  jobId: string;
  onCancel(reason: string): void;
  /** The job left this runner's hands on the server (its lease expired and it was requeued, dead-lettered, …). */
  onGone(detail: string): void;
  /** A person's words to the job (CONVERSATION_EVENTS of job-conversation.ts), in log order. */
  onConversation?(event: Event): void;
  conversationEvents?: ReadonlySet<string>;
  /**
   * Once the starting point is fixed and before the stream is read: the job's events up to it
   * (the conversation of earlier attempts) are read here, so none falls between the two. A
   * failure retries with the stream's backoff.
   */
  onStart?(afterSeq: bigint): Promise<void>;
  signal: AbortSignal;
  logger: Logger;
}

/** Events after which the job is no longer held by its claimer. */
const GONE: Record<string, string> = {
  jobRequeued: "the job went back to the queue (its lease expired)",
  jobDeadLettered: "the job was dead-lettered (its lease expired on its last attempt)",
  jobCancelled: "the job was cancelled",
  jobFailed: "the job was failed",
  jobCompleted: "the job was completed",
};

/**
 * Follows the job's events in its session (StreamEvents filtered to the job) and calls onCancel
 * the moment a job_cancel_requested event is recorded: a push, so a cancel reaches the sandbox in
 * milliseconds rather than at the next lease renewal (which stays the fallback). Likewise an event
 * saying the job left the claim (requeued after its lease expired, …) stops it at once. Starts after the
 * session's newest event; `started` resolves once that point is fixed, so the caller can then
 * renew the lease once to catch a cancel requested before it. Reconnects when the stream breaks.
 */
export function watchJobEvents(options: JobWatchOptions): { started: Promise<void>; done: Promise<void> } {
  const { sessions, sessionId, jobId, signal, logger } = options;
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));

  const done = (async () => {
    let afterSeq: bigint | undefined;
    let failures = 0;
    let readHistory = options.onStart === undefined;
    while (!signal.aborted) {
      try {
        afterSeq ??= (await sessions.getSession({ sessionId }, { signal })).session?.lastSeq ?? 0n;
        if (!readHistory) {
          await options.onStart?.(afterSeq);
          readHistory = true;
        }
        markStarted();
        for await (const response of sessions.streamEvents({ sessionId, afterSeq, itemId: jobId }, { signal })) {
          failures = 0;
          if (response.message.case === "keepalive") {
            afterSeq = response.message.value.lastSeq;
            continue;
          }
          if (response.message.case !== "event") continue;
          const event = response.message.value;
          afterSeq = event.seq;
          if (event.payload.case === "jobCancelRequested") {
            options.onCancel(event.payload.value.reason);
            return;
          }
          if (options.conversationEvents?.has(event.payload.case ?? "")) options.onConversation?.(event);
          const gone = GONE[event.payload.case ?? ""];
          if (gone) {
            options.onGone(gone);
            return;
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        logger.warn({ err: error, failures }, "the job's event stream broke; following it again (lease renewals still see a cancel)");
        markStarted();
        await sleep(Math.min(5000, 250 * 2 ** failures), signal);
      }
    }
  })().finally(markStarted);
  return { started, done };
}
