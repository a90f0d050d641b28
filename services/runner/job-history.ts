import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../../shared/clients.js";

const PAGE = 1000;

/** The job's events in its session up to `untilSeq` (inclusive), oldest first: every attempt's. */
export async function readJobHistory(sessions: Clients["sessions"], sessionId: string, jobId: string, untilSeq: bigint, signal?: AbortSignal): Promise<Event[]> {
  const history: Event[] = [];
  for (let afterSeq = 0n; afterSeq < untilSeq; ) {
    const { events } = await sessions.listEvents({ sessionId, afterSeq, pageSize: PAGE, itemId: jobId }, signal ? { signal } : {});
    for (const event of events) if (event.seq <= untilSeq) history.push(event);
    if (events.length < PAGE) break;
    afterSeq = events.at(-1)!.seq;
  }
  return history;
}
