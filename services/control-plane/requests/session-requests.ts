import { z } from "zod";
import { PERSON_TO_JOB_CASES, PLAIN_EVENT_CASES } from "../store/plain-events.js";
import { id, optionalItemId, pageSize, pageToken, requiredText, text } from "./fields.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";

const sessionId = id("session");

export const createSessionRequest = z.object({ title: text("title", 200), idempotencyKey: text("idempotency key", 200) });
export const getSessionRequest = z.object({ sessionId });
export const listSessionsRequest = z.object({ pageSize, pageToken });
export const postMessageRequest = z.object({
  sessionId,
  text: requiredText("message", 64 * 1024),
  author: text("author", 100),
  idempotencyKey: text("idempotency key", 200),
});
export const streamEventsRequest = z.object({ sessionId, afterSeq: z.bigint(), itemId: optionalItemId });
export const listEventsRequest = z
  .object({
    sessionId,
    afterSeq: z.bigint(),
    limit: z.number().max(1000, "must be at most 1000"),
    itemId: optionalItemId,
    pageSize: z.number().int().max(1000, "must be at most 1000"),
    pageToken,
  })
  .refine((r) => r.pageSize === 0 || r.limit === 0, { path: ["pageSize"], message: "set page_size or limit, not both" })
  .refine((r) => r.pageToken === "" || r.afterSeq === 0n, { path: ["pageToken"], message: "set page_token or after_seq, not both" });

/**
 * Event kinds services may record directly: the store's plain events, less messages (PostMessage
 * records those) and what a person says to a job (ExecutionService's SendToJob, AnswerQuestion, …).
 */
export const APPENDABLE_EVENTS: ReadonlySet<string> = new Set([...PLAIN_EVENT_CASES].filter((c) => c !== "message" && !PERSON_TO_JOB_CASES.has(c)));

export const appendEventsRequest = z.object({
  sessionId,
  events: z
    .array(
      z.object({
        itemId: optionalItemId,
        payload: z
          .custom<Event["payload"]>()
          .refine(
            (p) => p.case !== undefined && APPENDABLE_EVENTS.has(p.case),
            `must be one of ${[...APPENDABLE_EVENTS].join(", ")} (queue transitions and job logs have their own RPCs)`,
          ),
      }),
    )
    .min(1, "must have at least one event")
    .max(100, "must have at most 100 events per call"),
});
