import { create } from "@bufbuild/protobuf";
import { AssistantMessageSchema, EventSchema, QuestionSchema } from "../../../gen/pushpals/v1/events_pb.js";
import type { CompletionPayload, QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import type { SessionClient } from "./clients.js";
import type { Conflict } from "./repair-job.js";
import { MessageSource } from "../../../gen/pushpals/v1/kinds_pb.js";

const MAX_FILES_NAMED = 20;

/** The choices offered when repairs ran out; the chat service turns the answer into the next step. */
export const CONFLICT_OPTIONS = [
  "Resolve the conflicts by hand on the job's branch, then send it to integration again",
  "Drop this change",
  "Try one more automatic repair",
] as const;

/**
 * Repairs ran out: asks the person in the session, as a question (for UIs that offer
 * the options) and an assistant message (for a plain chat), both about the completion.
 */
export async function askAboutConflict(
  sessions: SessionClient,
  item: QueueItem,
  completion: CompletionPayload,
  conflict: Conflict,
  rounds: number,
  signal?: AbortSignal,
): Promise<string> {
  const files = conflict.files.slice(0, MAX_FILES_NAMED).join(", ") + (conflict.files.length > MAX_FILES_NAMED ? `, … (${conflict.files.length} files)` : "");
  const tried = rounds === 0 ? "Automatic repair is off (integration.max_conflict_rounds = 0)" : `${rounds} repair round${rounds === 1 ? "" : "s"} did not resolve it`;
  const text =
    `The change of job ${completion.jobId} (branch ${completion.branch}) conflicts with ${conflict.ontoRef} in ${files || "its history (not a fast-forward)"}. ` +
    `${tried}, so I stopped repairing. How should I go on?`;
  await sessions.appendEvents(
    {
      sessionId: item.sessionId,
      events: [
        create(EventSchema, { itemId: item.id, payload: { case: "question", value: create(QuestionSchema, { text, options: [...CONFLICT_OPTIONS] }) } }),
        create(EventSchema, { itemId: item.id, payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text, source: MessageSource.INTEGRATION }) } }),
      ],
    },
    { signal },
  );
  return text;
}
