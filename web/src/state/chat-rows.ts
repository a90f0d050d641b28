import type { Approval } from "../../../gen/pushpals/v1/approvals_pb.js";
import { ApprovalStatus } from "../../../gen/pushpals/v1/approvals_pb.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import { JobStage, MessageSource } from "../../../gen/pushpals/v1/kinds_pb.js";
import type { Plan } from "../../../gen/pushpals/v1/task_pb.js";

/** One line of the chat timeline: what a person reads, not every event the system records. */
export type ChatRow =
  | { kind: "user"; seq: bigint; text: string; author: string }
  | { kind: "assistant"; seq: bigint; text: string; source: string }
  | { kind: "plan"; seq: bigint; itemId: string; plan: Plan }
  | { kind: "approval"; seq: bigint; approval: Approval; answer: { status: ApprovalStatus; by: string; comment: string } | undefined }
  | { kind: "question"; seq: bigint; itemId: string; text: string; options: string[]; answered: string | undefined; forJob: boolean }
  | { kind: "item"; seq: bigint; itemId: string; text: string; tone: "info" | "good" | "bad" }
  | { kind: "progress"; seq: bigint; itemId: string; text: string }
  | { kind: "error"; seq: bigint; text: string; hint: string };

/** Logs, token counts, agent steps and artifacts live in the job view; the chat would drown in them. */
const JOB_DETAIL = new Set(["jobLog", "tokenUsage", "agentStep", "artifactAdded", "shellCommand", "shellResult", "sessionCreated"]);

const QUEUE_OF: Record<string, string> = { request: "request", job: "job", completion: "merge" };

export function chatRows(events: readonly Event[]): ChatRow[] {
  const answers = new Map<string, { status: ApprovalStatus; by: string; comment: string }>();
  const answeredQuestions = new Map<bigint, string>();
  for (const event of events) {
    const p = event.payload;
    if (p.case === "approvalAnswered") answers.set(p.value.approvalId, { status: p.value.status, by: p.value.answeredBy, comment: p.value.comment });
    if (p.case === "questionAnswered") answeredQuestions.set(p.value.questionSeq, p.value.text);
  }
  const rows: ChatRow[] = [];
  for (const event of events) {
    const row = rowOf(event, answers, answeredQuestions);
    if (row) rows.push(row);
  }
  return rows;
}

function rowOf(event: Event, answers: Map<string, { status: ApprovalStatus; by: string; comment: string }>, answered: Map<bigint, string>): ChatRow | undefined {
  const { seq, itemId, payload: p } = event;
  if (p.case === undefined || JOB_DETAIL.has(p.case)) return undefined;
  switch (p.case) {
    case "message":
      return { kind: "user", seq, text: p.value.text, author: p.value.author };
    case "assistantMessage":
      return { kind: "assistant", seq, text: p.value.text, source: sourceName(p.value.source) };
    case "planCreated":
      return p.value.plan ? { kind: "plan", seq, itemId, plan: p.value.plan } : undefined;
    case "approvalRequested": {
      const approval = p.value.approval;
      return approval ? { kind: "approval", seq, approval, answer: answers.get(approval.id) } : undefined;
    }
    case "approvalAnswered":
    case "questionAnswered":
      // Shown on the approval or question they answer.
      return undefined;
    case "question":
      return { kind: "question", seq, itemId, text: p.value.text, options: p.value.options, answered: answered.get(seq), forJob: false };
    case "agentQuestion":
      return { kind: "question", seq, itemId, text: p.value.text, options: [], answered: answered.get(seq), forJob: true };
    case "jobProgress":
      return { kind: "progress", seq, itemId, text: `${stageName(p.value.stage)}${p.value.detail ? `: ${p.value.detail}` : ""}` };
    case "error":
      return { kind: "error", seq, text: p.value.message, hint: p.value.hint };
    case "integrationStep":
      return { kind: "progress", seq, itemId, text: `integration ${p.value.stage}${p.value.detail ? `: ${p.value.detail}` : ""}` };
    case "validationResult":
      return { kind: "item", seq, itemId, text: `validation ${p.value.passed ? "passed" : "failed"}: ${p.value.command}`, tone: p.value.passed ? "good" : "bad" };
    case "pullRequestUpdated":
      return { kind: "item", seq, itemId, text: `pull request #${p.value.number} ${p.value.created ? "opened" : "updated"}: ${p.value.url}`, tone: "info" };
    case "jobFollowUp":
      return { kind: "user", seq, text: `(to ${itemId}) ${p.value.text}`, author: p.value.author };
    case "jobPaused":
      return { kind: "item", seq, itemId, text: `job paused by ${p.value.author}${p.value.reason ? `: ${p.value.reason}` : ""}`, tone: "info" };
    case "jobResumed":
      return { kind: "item", seq, itemId, text: `job resumed by ${p.value.author}`, tone: "info" };
    default:
      return itemRow(event);
  }
}

/** Queue transitions: `jobCompleted` reads as "job completed". */
function itemRow(event: Event): ChatRow | undefined {
  const name = event.payload.case ?? "";
  const match = /^(request|job|completion)(.+)$/.exec(name);
  if (!match) return undefined;
  const [, queue, what] = match as unknown as [string, string, string];
  const verb = what.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`).trim();
  const tone = /completed/.test(verb) ? "good" : /failed|dead|conflicted|cancelled/.test(verb) ? "bad" : "info";
  const p = event.payload;
  const detail =
    p.case === "jobFailed" || p.case === "requestFailed" || p.case === "completionFailed"
      ? `: ${p.value.error}`
      : p.case === "jobClaimed" || p.case === "completionClaimed"
        ? ` by ${p.value.workerId}`
        : p.case === "completionCompleted" && p.value.result?.kind.case === "completion"
          ? `: ${p.value.result.kind.value.mergedSha.slice(0, 10)} on ${p.value.result.kind.value.integrationBranch}`
          : "";
  const label = QUEUE_OF[queue] ?? queue;
  return { kind: "item", seq: event.seq, itemId: event.itemId, text: `${label} ${event.itemId} ${verb}${detail}`, tone };
}

export function stageName(stage: JobStage): string {
  return (JobStage[stage] ?? "stage").toLowerCase().replace(/_/g, " ");
}

function sourceName(source: MessageSource): string {
  return source === MessageSource.UNSPECIFIED ? "assistant" : (MessageSource[source] ?? "assistant").toLowerCase();
}

export function approvalStatusName(status: ApprovalStatus): string {
  return (ApprovalStatus[status] ?? "unknown").toLowerCase();
}
