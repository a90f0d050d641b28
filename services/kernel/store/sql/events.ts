import { fromBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { EventSchema, type Event } from "../../../../gen/pushpals/v1/events_pb.js";
import { invalidArgument } from "../../errors.js";
import type { Executor } from "../dialect/dialect.js";
import type { EventDraft } from "../store.js";
import type { WriteTx } from "../transaction.js";
import { positiveLimit, requireSession } from "./sessions.js";

type PayloadCase = NonNullable<Event["payload"]["case"]>;

/**
 * Events that record no other state change and so may be appended as they are. The
 * rest (sessions created, queue-item transitions, job logs, artifacts) are written by
 * the operation that makes the change, so the log never claims what did not happen.
 */
const PLAIN_CASES: ReadonlySet<PayloadCase> = new Set<PayloadCase>([
  "message",
  "assistantMessage",
  "jobProgress",
  "planCreated",
  "agentStep",
  "tokenUsage",
  "validationResult",
  "integrationStep",
  "pullRequestUpdated",
  "question",
  "error",
]);

export async function appendPlainEvents(tx: WriteTx, sessionId: string, drafts: EventDraft[]): Promise<void> {
  drafts.forEach((draft, index) => {
    const eventCase = draft.payload.case;
    if (eventCase === undefined || !PLAIN_CASES.has(eventCase)) {
      throw invalidArgument(
        `events[${index}].payload`,
        `${eventCase ?? "an empty payload"} cannot be appended directly; use one of ${[...PLAIN_CASES].join(", ")} (the other events are written by the operation they record)`,
      );
    }
  });
  await requireSession(tx.exec, sessionId);
  for (const draft of drafts) tx.emit(sessionId, draft);
}

/** Events with seq > afterSeq, oldest first; with itemId, only those about that item. */
export async function listEvents(
  exec: Executor,
  input: { sessionId: string; afterSeq: bigint; limit: number; itemId?: string },
): Promise<Event[]> {
  const aboutItem = input.itemId ? sql`AND item_id = ${input.itemId}` : sql``;
  const rows = await exec.rows<{ data: Uint8Array }>(sql`
    SELECT data FROM events
     WHERE session_id = ${input.sessionId} AND seq > ${Number(input.afterSeq)} ${aboutItem}
     ORDER BY seq LIMIT ${positiveLimit(input.limit)}`);
  // An empty page is either the end of the log or a wrong session id; tell them apart.
  if (rows.length === 0) await requireSession(exec, input.sessionId);
  return rows.map((row) => fromBinary(EventSchema, row.data));
}
