import { followSession } from "../../../cli/client/chat/session-events.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../../../shared/clients.js";
import { outline, type EventCase } from "./audit-log.js";

/** Ends the work a message started: merged, or given up on. */
const FINAL_FAILURES = new Set<EventCase>([
  "requestFailed",
  "requestDeadLettered",
  "requestCancelled",
  "jobFailed",
  "jobDeadLettered",
  "jobCancelled",
  "completionFailed",
  "completionDeadLettered",
  "completionCancelled",
]);

export interface FollowedWork {
  /** Every event the live stream delivered, in the order it delivered them. */
  streamed: Event[];
  /** Resolves with the completion_completed event; rejects on a failure or after `timeoutMs`. */
  merged: Promise<Event>;
  /** Aborts the stream (call in afterEach / finally). */
  close(): void;
}

/**
 * Follows a session's events from its start through StreamEvents the way the CLI does
 * (cli/client/chat/session-events.ts: reconnecting from the cursor when the server
 * restarts), keeping all it sees, until the work merges.
 */
export function followWork(clients: Clients, sessionId: string, options: { timeoutMs: number; describe?: () => Promise<string> }): FollowedWork {
  const streamed: Event[] = [];
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new Error(`no merge within ${options.timeoutMs} ms`)), options.timeoutMs);
  const merged = (async () => {
    try {
      for await (const event of followSession(clients, { sessionId, afterSeq: 0n, signal: stop.signal })) {
        streamed.push(event);
        const kind = event.payload.case;
        if (kind === "completionCompleted") return event;
        if (kind && FINAL_FAILURES.has(kind)) throw new Error(`the work failed: seq ${event.seq} ${kind} ${JSON.stringify(event.payload.value)}`);
      }
      throw stop.signal.reason instanceof Error ? stop.signal.reason : new Error("the event stream ended before the merge");
    } catch (error) {
      const context = options.describe ? `\n--- system log ---\n${await options.describe()}` : "";
      throw new Error(`${(error as Error).message}\n--- events streamed ---\n${outline(streamed)}${context}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  })();
  merged.catch(() => undefined);
  return { streamed, merged, close: () => stop.abort() };
}
