import { followSession } from "../../../cli/client/chat/session-events.js";
import type { Clients } from "../../../shared/clients.js";
import { outline, type EventCase } from "./audit-log.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";

/** The first event of `kind` in the session's log, waited for on the live stream (no polling). */
export async function streamedEvent<C extends EventCase>(
  clients: Clients,
  sessionId: string,
  kind: C,
  timeoutMs: number,
): Promise<Event & { payload: Extract<Event["payload"], { case: C }> }> {
  const signal = AbortSignal.timeout(timeoutMs);
  const seen: Event[] = [];
  try {
    for await (const event of followSession(clients, { sessionId, afterSeq: 0n, signal })) {
      seen.push(event);
      if (event.payload.case === kind) return event as Event & { payload: Extract<Event["payload"], { case: C }> };
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  throw new Error(`no ${kind} event within ${timeoutMs} ms; the log:\n${outline(seen)}`);
}
