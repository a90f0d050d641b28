import type { Event } from "../../../gen/pushpals/v1/events_pb.js";

/** Where the live feed stands: the page shows it so a person knows whether what they see is current. */
export type Connection = "connecting" | "live" | "reconnecting";

/**
 * One session's events as the page knows them: sorted by seq, each seq once. `cursor` is the
 * highest seq held, which is what a reconnect resumes from (`after_seq`), so an event the
 * server sends again after a reconnect (or that both the catch-up page and the stream carry)
 * is recognised and dropped instead of shown twice.
 */
export interface TimelineState {
  sessionId: string;
  events: readonly Event[];
  cursor: bigint;
  connection: Connection;
  /** How many times the feed was lost and resumed; the page shows it next to the connection. */
  reconnects: number;
  lastError: string;
}

export type TimelineAction =
  | { type: "received"; events: readonly Event[] }
  | { type: "connected" }
  | { type: "disconnected"; error: string }
  | { type: "reset"; sessionId: string };

export function emptyTimeline(sessionId: string): TimelineState {
  return { sessionId, events: [], cursor: 0n, connection: "connecting", reconnects: 0, lastError: "" };
}

export function timelineReducer(state: TimelineState, action: TimelineAction): TimelineState {
  switch (action.type) {
    case "reset":
      return emptyTimeline(action.sessionId);
    case "connected":
      return state.connection === "live" ? state : { ...state, connection: "live", lastError: "" };
    case "disconnected":
      return {
        ...state,
        connection: "reconnecting",
        reconnects: state.connection === "live" ? state.reconnects + 1 : state.reconnects,
        lastError: action.error,
      };
    case "received":
      return withEvents(state, action.events);
  }
}

function withEvents(state: TimelineState, incoming: readonly Event[]): TimelineState {
  const fresh = incoming.filter((event) => event.sessionId === state.sessionId || event.sessionId === "");
  if (fresh.length === 0) return state;
  // The common case (a stream in order, past the cursor) appends without re-sorting 10,000 rows.
  const inOrder = fresh.every((event, i) => event.seq > (i === 0 ? state.cursor : fresh[i - 1]!.seq));
  if (inOrder) {
    const cursor = fresh[fresh.length - 1]!.seq;
    return { ...state, events: [...state.events, ...fresh], cursor };
  }
  // Older events loading behind the newest ones (a long session opens on its tail): prepend.
  const first = state.events[0];
  const olderInOrder = first !== undefined && fresh.every((event, i) => (i === 0 || event.seq > fresh[i - 1]!.seq) && event.seq < first.seq);
  if (olderInOrder) return { ...state, events: [...fresh, ...state.events] };
  const bySeq = new Map<bigint, Event>();
  for (const event of state.events) bySeq.set(event.seq, event);
  let added = false;
  for (const event of fresh) {
    if (bySeq.has(event.seq)) continue;
    bySeq.set(event.seq, event);
    added = true;
  }
  if (!added) return state;
  const events = [...bySeq.values()].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  return { ...state, events, cursor: events[events.length - 1]!.seq };
}
