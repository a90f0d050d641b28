import { create } from "@bufbuild/protobuf";
import type { Code } from "@connectrpc/connect";
import { errorCodeOf } from "../../shared/errors.js";
import { AssistantMessageSchema, ErrorOccurredSchema, EventSchema, TokenUsageSchema, type AssistantMessage, type Event } from "../../gen/pushpals/v1/events_pb.js";
import type { TokenCounts } from "../../shared/llm/model.js";
import { MessageSource, ModelRole } from "../../gen/pushpals/v1/kinds_pb.js";

/** Chat's own events; an answer always names the message (seq) it answers. */
export function chatReply(text: string, inReplyTo: bigint): AssistantMessage {
  return create(AssistantMessageSchema, { text, source: MessageSource.CHAT, inReplyTo });
}

export function replyEvent(reply: AssistantMessage, itemId = ""): Event {
  return create(EventSchema, { itemId, payload: { case: "assistantMessage", value: reply } });
}

export function tokenUsageEvent(model: string, usage: TokenCounts): Event {
  return create(EventSchema, {
    payload: {
      case: "tokenUsage",
      value: create(TokenUsageSchema, { role: ModelRole.CHAT, model, promptTokens: BigInt(usage.promptTokens), completionTokens: BigInt(usage.completionTokens) }),
    },
  });
}

export function errorEvent(code: Code, message: string, hint: string): Event {
  return create(EventSchema, { payload: { case: "error", value: create(ErrorOccurredSchema, { code: errorCodeOf(code), message, hint }) } });
}
