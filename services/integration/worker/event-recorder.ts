import { create } from "@bufbuild/protobuf";
import { EventSchema, type Event } from "../../../gen/pushpals/v1/events_pb.js";
import { errorMessage } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/log.js";
import type { SessionClient } from "./clients.js";

/** AppendEvents takes at most this many per call. */
const MAX_EVENTS_PER_CALL = 100;

export interface EventRecorder {
  /** Queues one event about the item; appends start at once, in order, without blocking the caller. */
  record(payload: Event["payload"]): void;
  /** Resolves when everything recorded so far has been appended (or given up on). */
  flush(): Promise<void>;
}

/**
 * Appends a completion's progress to its session's audit log in the background, in
 * the order it was recorded, batching what piles up while a call is in flight. A
 * failed append is logged and dropped: progress is for people watching, the queue's
 * own transitions are the record that counts, and integration must not stall on it.
 */
export function eventRecorder(sessions: SessionClient, about: { sessionId: string; itemId: string }, log: Logger): EventRecorder {
  const pending: Event[] = [];
  let draining: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0, MAX_EVENTS_PER_CALL);
      try {
        await sessions.appendEvents({ sessionId: about.sessionId, events: batch });
      } catch (error) {
        log.warn(
          { err: errorMessage(error), dropped: batch.length, kinds: [...new Set(batch.map((e) => e.payload.case))] },
          "could not record integration progress; continuing without it",
        );
      }
    }
  }

  // A record() landing between the drain loop's last check and its end restarts it.
  const start = (): Promise<void> =>
    (draining ??= drain().finally(() => {
      draining = undefined;
      if (pending.length > 0) void start();
    }));

  return {
    record(payload) {
      pending.push(create(EventSchema, { itemId: about.itemId, payload }));
      void start();
    },
    async flush() {
      while (draining) await draining;
    },
  };
}
