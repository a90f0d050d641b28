import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { z } from "zod";
import { SendResponseSchema, type ChatService, type SendResponse } from "../../gen/pushpals/v1/chat_pb.js";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema, RequestPayloadSchema, type QueuePosition } from "../../gen/pushpals/v1/items_pb.js";
import type { Clients } from "../../shared/clients.js";
import type { Logger } from "../../shared/log.js";
import { boundedString, id, parseRequest } from "../../shared/rpc/validate.js";
import { answerQuestion, type AskDeps, type Answer } from "./ask-model.js";
import { chatReply, replyEvent } from "./chat-events.js";
import { HELP_TEXT } from "./help-text.js";
import { classifyMessage, type MessageKind } from "./message-kind.js";
import { inferPriority } from "./priority-rules.js";
import { findKeyedMessage, type RecordedMessage } from "./retried-message.js";
import { statusReply } from "./status-reply.js";
import { positionText } from "./wait-text.js";

export interface ChatDeps extends AskDeps {
  clients: Clients;
  logger: Logger;
}

const sendRequest = z.object({
  sessionId: id("session"),
  text: boundedString("message", 64 * 1024),
  author: boundedString("author", 100, { required: false }),
  idempotencyKey: boundedString("idempotency key", 200, { required: false }),
});
/** A Send request once it passed the boundary. */
type ChatSend = z.output<typeof sendRequest>;

/**
 * ChatService.Send: records the message, then answers it at once (help, status), through the
 * chat model (/ask), or queues it as a request for the planner and says where it stands.
 */
export function chatRpc(deps: () => Promise<ChatDeps>): ServiceImpl<typeof ChatService> {
  return {
    async send(message, ctx) {
      const req = parseRequest(sendRequest, message);
      const kind = classifyMessage(req.text);
      const chat = await deps();
      const logger = chat.logger.child({ sessionId: req.sessionId, kind: kind.kind });
      const earlier = req.idempotencyKey === "" ? undefined : await findKeyedMessage(chat.clients, req, ctx.signal);
      if (earlier) logger.info({ messageSeq: earlier.seq, requestId: earlier.requestId }, "Send retried with a used idempotency key; answering the message already recorded");
      if (kind.kind === "request") {
        const message = earlier ?? { seq: await postMessage(chat.clients, req, ctx.signal) };
        return queueRequest(chat, req, message, ctx.signal, logger);
      }
      if (earlier?.reply) return create(SendResponseSchema, { messageSeq: earlier.seq, reply: earlier.reply });
      // The first Send recorded the message but not its answer: answer it now.
      const messageSeq = earlier?.seq ?? (await postMessage(chat.clients, req, ctx.signal));
      const answer = await answerAtOnce(chat, req, kind, ctx.signal, logger);
      const reply = chatReply(answer.text, messageSeq);
      await append(chat.clients, req.sessionId, [...answer.events, replyEvent(reply)], ctx.signal);
      logger.info({ messageSeq }, "answered at once");
      return create(SendResponseSchema, { messageSeq, reply });
    },
  };
}

async function postMessage(clients: Clients, req: ChatSend, signal: AbortSignal): Promise<bigint> {
  const { event } = await clients.sessions.postMessage({ sessionId: req.sessionId, text: req.text, author: req.author, idempotencyKey: req.idempotencyKey }, { signal });
  if (!event) throw new Error(`PostMessage to ${req.sessionId} answered without the recorded event`);
  return event.seq;
}

function answerAtOnce(chat: ChatDeps, req: ChatSend, kind: Exclude<MessageKind, { kind: "request" }>, signal: AbortSignal, logger: Logger): Promise<Answer> {
  switch (kind.kind) {
    case "help":
      return Promise.resolve({ text: HELP_TEXT, events: [] });
    case "status":
      return statusReply(chat.clients, req.sessionId, signal, logger).then((text) => ({ text, events: [] }));
    case "ask":
      return answerQuestion(chat, kind.question, signal, logger);
  }
}

/**
 * The request's idempotency key is the message's: a retried Send reuses the message's seq
 * (see findKeyedMessage), so the queue hands back the request the first Send made.
 */
async function queueRequest(chat: ChatDeps, req: ChatSend, message: RecordedMessage, signal: AbortSignal, logger: Logger): Promise<SendResponse> {
  const { clients } = chat;
  const priority = inferPriority(req.text);
  const payload = create(ItemPayloadSchema, {
    kind: { case: "request", value: create(RequestPayloadSchema, { text: req.text, messageSeq: message.seq, origin: "chat" }) },
  });
  const { item, existing } = await clients.queues.enqueue(
    { queue: QueueName.REQUESTS, sessionId: req.sessionId, priority, payload, idempotencyKey: `chat:${req.sessionId}:${message.seq}` },
    { signal },
  );
  if (!item) throw new Error("Enqueue answered without the queued request");
  // Enqueue's answer has no position yet; GetItem computes it (ahead and ETA).
  const request = (await clients.queues.getItem({ itemId: item.id }, { signal })).item ?? item;
  if (!message.reply) {
    await append(clients, req.sessionId, [replyEvent(chatReply(ackText(request.id, priority, request.status, request.position), message.seq), request.id)], signal);
  }
  logger.info({ requestId: request.id, priority: Priority[priority], existing, messageSeq: message.seq }, existing ? "request already queued" : "request queued");
  return create(SendResponseSchema, { messageSeq: message.seq, request });
}

function ackText(requestId: string, priority: Priority, status: ItemStatus, position: QueuePosition | undefined): string {
  const band = (Priority[priority] ?? "normal").toLowerCase();
  const where =
    status === ItemStatus.PENDING && position
      ? positionText(position, "planned")
      : status === ItemStatus.CLAIMED
        ? "the planner is already on it"
        : `it is already ${(ItemStatus[status] ?? "finished").toLowerCase().replace("_", "-")}`;
  return `Queued as ${requestId} (${band} priority): ${where}. I will answer here once it is planned.`;
}

async function append(clients: Clients, sessionId: string, events: Event[], signal: AbortSignal): Promise<void> {
  await clients.sessions.appendEvents({ sessionId, events }, { signal });
}
