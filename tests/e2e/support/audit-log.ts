import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../../../shared/clients.js";

export type EventCase = NonNullable<Event["payload"]["case"]>;

/** The session's whole audit log through ListEvents, page by page (the server caps a page at 1000). */
export async function readAuditLog(clients: Clients, sessionId: string): Promise<Event[]> {
  const events: Event[] = [];
  let afterSeq = 0n;
  for (;;) {
    const page = await clients.sessions.listEvents({ sessionId, afterSeq, limit: 1000 });
    events.push(...page.events);
    if (!page.hasMore) return events;
    afterSeq = page.nextAfterSeq;
  }
}

/** Where the seqs are not exactly 1..N, in order; empty when the log has no gap and no repeat. */
export function cursorProblems(events: readonly Event[]): string[] {
  return events.flatMap((event, index) => (event.seq === BigInt(index + 1) ? [] : [`position ${index + 1} holds seq ${event.seq} (${event.payload.case})`]));
}

/**
 * Checks that `steps` occur in the log in this order (other events may come between) and
 * returns the matched events; throws naming the first step missing after the previous one,
 * with the log's outline, so a failure shows where the pipeline went another way.
 */
export function stepsInOrder(events: readonly Event[], steps: readonly EventCase[]): Event[] {
  const matched: Event[] = [];
  let from = 0;
  for (const step of steps) {
    const index = events.findIndex((event, i) => i >= from && event.payload.case === step);
    if (index < 0) {
      const after = matched.at(-1);
      throw new Error(`no ${step} event after ${after ? `seq ${after.seq} (${after.payload.case})` : "the start"}; the log:\n${outline(events)}`);
    }
    matched.push(events[index]!);
    from = index + 1;
  }
  return matched;
}

export function eventsOf<C extends EventCase>(events: readonly Event[], kind: C): (Event & { payload: Extract<Event["payload"], { case: C }> })[] {
  return events.filter((event): event is Event & { payload: Extract<Event["payload"], { case: C }> } => event.payload.case === kind);
}

/** One line per event except job log lines: seq, kind, item. */
export function outline(events: readonly Event[]): string {
  return events
    .filter((event) => event.payload.case !== "jobLog")
    .map((event) => `${event.seq} ${event.payload.case}${event.itemId ? ` ${event.itemId}` : ""}`)
    .join("\n");
}

/** Polls ListEvents (which needs the control plane only, not the bus) until an event of `kind` is in the log. */
export async function loggedEvent<C extends EventCase>(
  clients: Clients,
  sessionId: string,
  kind: C,
  timeoutMs: number,
): Promise<Event & { payload: Extract<Event["payload"], { case: C }> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await readAuditLog(clients, sessionId);
    const found = eventsOf(log, kind)[0];
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${kind} event within ${timeoutMs} ms; the log:\n${outline(log)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
