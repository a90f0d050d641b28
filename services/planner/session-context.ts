import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import type { Clients } from "../../shared/clients.js";
import { oneLine } from "../../shared/text/clip.js";
import { MessageSourceSchema } from "../../gen/pushpals/v1/kinds_pb.js";
import { enumWord } from "../../shared/text/enum-word.js";

/** What the planner sees of the conversation and of the work already done. */
export interface ConversationContext {
  recentJobs: string;
  recentMessages: string;
}

export interface ConversationLimits {
  jobs: number;
  messages: number;
  /** Events read while looking back for messages (job logs share the session's log). */
  maxScannedEvents: number;
}

export const DEFAULT_CONVERSATION_LIMITS: ConversationLimits = { jobs: 8, messages: 12, maxScannedEvents: 2000 };
const WINDOW = 500;
const LINE_CHARS = 300;

export async function readConversationContext(
  clients: Clients,
  where: { sessionId?: string; beforeSeq?: bigint },
  signal: AbortSignal,
  limits = DEFAULT_CONVERSATION_LIMITS,
): Promise<ConversationContext> {
  const [jobs, messages] = await Promise.all([
    clients.queues.listItems({ queue: QueueName.JOBS, pageSize: limits.jobs }, { signal }),
    where.sessionId ? recentMessages(clients, where.sessionId, where.beforeSeq, limits, signal) : Promise.resolve([]),
  ]);
  return {
    recentJobs: jobs.items.length > 0 ? jobs.items.map(describeJob).join("\n") : "(no jobs yet)",
    recentMessages: messages.length > 0 ? messages.map(describeMessage).join("\n") : "(no earlier messages)",
  };
}

/**
 * The session's latest messages, oldest first. The log is read backwards in windows because
 * a busy session's job logs can bury the conversation under thousands of events.
 */
async function recentMessages(clients: Clients, sessionId: string, beforeSeq: bigint | undefined, limits: ConversationLimits, signal: AbortSignal): Promise<Event[]> {
  const { session } = await clients.sessions.getSession({ sessionId }, { signal });
  let end = beforeSeq !== undefined ? beforeSeq - 1n : (session?.lastSeq ?? 0n);
  const found: Event[] = [];
  let scanned = 0;
  while (end > 0n && found.length < limits.messages && scanned < limits.maxScannedEvents) {
    const start = end > BigInt(WINDOW) ? end - BigInt(WINDOW) : 0n;
    const page = await clients.sessions.listEvents({ sessionId, afterSeq: start, limit: Number(end - start) }, { signal });
    scanned += page.events.length;
    found.unshift(...page.events.filter((e) => e.seq <= end && isConversation(e)));
    end = start;
  }
  return found.slice(-limits.messages);
}

function isConversation(event: Event): boolean {
  return event.payload.case === "message" || event.payload.case === "assistantMessage";
}

function describeMessage(event: Event): string {
  if (event.payload.case === "message") {
    const { author, text } = event.payload.value;
    return `[${event.seq}] person${author ? ` (${oneLine(author, 40)})` : ""}: ${oneLine(text, LINE_CHARS)}`;
  }
  if (event.payload.case === "assistantMessage") {
    const { source, text } = event.payload.value;
    return `[${event.seq}] pushpals (${source ? enumWord(MessageSourceSchema, source) : "assistant"}): ${oneLine(text, LINE_CHARS)}`;
  }
  return "";
}

function describeJob(job: QueueItem): string {
  const status = (ItemStatus[job.status] ?? "unknown").toLowerCase().replace("_", "-");
  const task = job.payload?.kind.case === "taskExecuteV2" ? oneLine(job.payload.kind.value.instruction, 160) : "(not a task)";
  const result = job.result?.kind.case === "job" && job.result.kind.value.summary ? ` → ${oneLine(job.result.kind.value.summary, 160)}` : "";
  const error = job.lastError ? ` (error: ${oneLine(job.lastError, 160)})` : "";
  return `${job.id} ${status}: ${task}${result}${error}`;
}
