import type { AssistantMessage } from "../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../kernel/clients.js";
import { fromTimestamp } from "../kernel/time.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";

/**
 * A Send retried by its client (a lost response, a timeout) carries no key of its own, so it
 * is recognised by what it says: the session's latest message, same text and author, recorded
 * moments ago. Its seq is reused, so the request's idempotency key — derived from that seq —
 * matches and the queue hands back the first request instead of a second one.
 */
export const RETRY_WINDOW_MS = 2 * 60_000;
/** Events looked back through; a retry follows its original within moments. */
const LOOKBACK = 200;

export interface RecordedMessage {
  seq: bigint;
  /** Chat's answer to it, when the first Send got that far. */
  reply?: AssistantMessage;
  /** The request that answer is about, when it was queued. */
  requestId?: string;
}

export async function findRetriedMessage(
  clients: Clients,
  message: { sessionId: string; text: string; author: string },
  signal: AbortSignal,
  now = Date.now(),
): Promise<RecordedMessage | undefined> {
  const { session } = await clients.sessions.getSession({ sessionId: message.sessionId }, { signal });
  const lastSeq = session?.lastSeq ?? 0n;
  if (lastSeq === 0n) return undefined;
  const afterSeq = lastSeq > BigInt(LOOKBACK) ? lastSeq - BigInt(LOOKBACK) : 0n;
  const { events } = await clients.sessions.listEvents({ sessionId: message.sessionId, afterSeq, limit: LOOKBACK }, { signal });
  const latest = events.findLast((event) => event.payload.case === "message");
  if (latest?.payload.case !== "message") return undefined;
  const { text, author } = latest.payload.value;
  const recordedAt = fromTimestamp(latest.time) ?? 0;
  if (text !== message.text || author !== message.author || now - recordedAt > RETRY_WINDOW_MS) return undefined;
  const answer = events.find(
    (event) =>
      event.seq > latest.seq &&
      event.payload.case === "assistantMessage" &&
      event.payload.value.source === MessageSource.CHAT &&
      event.payload.value.inReplyTo === latest.seq,
  );
  if (answer?.payload.case !== "assistantMessage") return { seq: latest.seq };
  return { seq: latest.seq, reply: answer.payload.value, requestId: answer.itemId || undefined };
}
