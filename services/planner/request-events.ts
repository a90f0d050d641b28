import { create } from "@bufbuild/protobuf";
import type { Code } from "@connectrpc/connect";
import { errorCodeOf } from "../../shared/errors.js";
import { AssistantMessageSchema, ErrorOccurredSchema, EventSchema, PlanCreatedSchema, QuestionSchema, TokenUsageSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Plan } from "../../gen/pushpals/v1/task_pb.js";
import type { TokenCounts } from "../../shared/llm/model.js";
import { MessageSource, ModelRole } from "../../gen/pushpals/v1/kinds_pb.js";

/** The planner's own events about one request; each is recorded with the request's id. */
export function assistantMessage(requestId: string, text: string, inReplyTo: bigint): Event {
  return create(EventSchema, {
    itemId: requestId,
    payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text, source: MessageSource.PLANNER, inReplyTo }) },
  });
}

/** The planner asks the person before it plans: the request was too ambiguous. */
export function clarifyingQuestion(requestId: string, text: string): Event {
  return create(EventSchema, { itemId: requestId, payload: { case: "question", value: create(QuestionSchema, { text }) } });
}

export function planCreated(requestId: string, plan: Plan, modelCalls: number): Event {
  return create(EventSchema, { itemId: requestId, payload: { case: "planCreated", value: create(PlanCreatedSchema, { plan, modelCalls }) } });
}

export function tokenUsage(requestId: string, model: string, usage: TokenCounts): Event {
  return create(EventSchema, {
    itemId: requestId,
    payload: {
      case: "tokenUsage",
      value: create(TokenUsageSchema, {
        role: ModelRole.PLANNER,
        model,
        promptTokens: BigInt(usage.promptTokens),
        completionTokens: BigInt(usage.completionTokens),
      }),
    },
  });
}

export function errorOccurred(requestId: string, code: Code, message: string, hint: string): Event {
  return create(EventSchema, {
    itemId: requestId,
    payload: { case: "error", value: create(ErrorOccurredSchema, { code: errorCodeOf(code), message, hint }) },
  });
}
