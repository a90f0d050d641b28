import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { StreamEventsResponse } from "../../../gen/pushpals/v1/sessions_pb.js";
import type { Clients } from "../../../shared/clients.js";
import { resumeStream } from "../resume-stream.js";

export interface FollowOptions {
  sessionId: string;
  /** Events after this seq (the replay), then live ones. */
  afterSeq: bigint;
  signal: AbortSignal;
  onReconnect?(attempt: number, delayMs: number): void;
}

/** A session's events from a cursor on, live, surviving a server restart (keep-alives move the cursor and are dropped). */
export async function* followSession(clients: Clients, options: FollowOptions): AsyncGenerator<Event> {
  const responses = resumeStream<StreamEventsResponse>((afterSeq, signal) => clients.sessions.streamEvents({ sessionId: options.sessionId, afterSeq }, { signal }), {
    from: options.afterSeq,
    cursorOf: (response) => (response.message.case === "event" ? response.message.value.seq : response.message.value?.lastSeq),
    reopenOnEnd: true,
    signal: options.signal,
    onReconnect: options.onReconnect,
  });
  for await (const response of responses) {
    if (response.message.case === "event") yield response.message.value;
  }
}
