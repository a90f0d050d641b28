import type { AssistantMessage, Event } from "../../gen/pushpals/v1/events_pb.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";
import type { Clients } from "../../shared/clients.js";
import { alreadyExists } from "../../shared/errors.js";

/** Events read per ListEvents call while looking a key up. */
const PAGE = 1000;

export interface RecordedMessage {
  seq: bigint;
  /** Chat's answer to it, when the first Send got that far. */
  reply?: AssistantMessage;
  /** The request that answer is about, when it was queued. */
  requestId?: string;
}

export interface KeyedSend {
  sessionId: string;
  text: string;
  author: string;
  idempotencyKey: string;
}

/**
 * The message an earlier Send with this idempotency key recorded in the session, with
 * chat's answer to it; undefined for a key not used yet. The same key on a different
 * text or author is a client bug (a key reused for a new message), refused with
 * AlreadyExists rather than silently answered with the old message.
 *
 * Reads the session from its start: a key holds for the whole session, not a window.
 */
export async function findKeyedMessage(clients: Clients, send: KeyedSend, signal: AbortSignal): Promise<RecordedMessage | undefined> {
  let found: Event | undefined;
  let answer: Event | undefined;
  for (let afterSeq = 0n; ; ) {
    const page = await clients.sessions.listEvents({ sessionId: send.sessionId, afterSeq, limit: PAGE }, { signal });
    for (const event of page.events) {
      const { payload } = event;
      if (!found && payload.case === "message" && payload.value.idempotencyKey === send.idempotencyKey) found = event;
      else if (found && payload.case === "assistantMessage" && payload.value.source === MessageSource.CHAT && payload.value.inReplyTo === found.seq) {
        answer = event;
        break;
      }
    }
    if (answer || !page.hasMore) break;
    afterSeq = page.nextAfterSeq;
  }
  if (found?.payload.case !== "message") return undefined;
  const { text, author } = found.payload.value;
  if (text !== send.text || author !== send.author) {
    throw alreadyExists(
      `idempotency_key ${JSON.stringify(send.idempotencyKey)} was already used in session ${send.sessionId} for a different message (seq ${found.seq}); ` +
        "send a new key with each new message, and the same key only when retrying that same message",
    );
  }
  if (answer?.payload.case !== "assistantMessage") return { seq: found.seq };
  return { seq: found.seq, reply: answer.payload.value, requestId: answer.itemId || undefined };
}
