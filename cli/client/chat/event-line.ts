import { ApprovalStatus } from "../../../gen/pushpals/v1/approvals_pb.js";
import { AutonomyMode, ObjectiveOutcome, ObjectiveStatus } from "../../../gen/pushpals/v1/autonomy_pb.js";
import type { Event, ItemEnqueued } from "../../../gen/pushpals/v1/events_pb.js";
import { Intent, Lane, Risk } from "../../../gen/pushpals/v1/task_pb.js";
import { durationWord, itemSubject, oneLine, positionWords, shortSha } from "../format.js";
import type { Style } from "../style.js";
import { ErrorCode, JobStage } from "../../../gen/pushpals/v1/kinds_pb.js";

/** What an event shows: a permanent line, and/or the item's live progress (`text: undefined` ends it). */
export interface EventView {
  line?: string;
  /** `transient` progress only animates a terminal's status line; plain output skips it. */
  progress?: { key: string; text?: string; transient?: boolean };
}

const INDENT = "  ";

/**
 * How one audit-log event reads in a terminal. Events a person does not need in a chat
 * (token counts, the session's creation) show nothing, and log lines only flicker through
 * the status line; `pushpals logs` and --json have them all.
 */
export function describeEvent(event: Event, style: Style): EventView {
  const id = event.itemId;
  const p = event.payload;
  switch (p.case) {
    case "message":
      return { line: `${style.bold(`${p.value.author || "someone"}›`)} ${p.value.text}` };
    case "assistantMessage":
      return { line: `${style.bold(style.id("pushpals›"))} ${indentFollowing(p.value.text)}` };
    case "question": {
      const options = p.value.options.length > 0 ? ` [${p.value.options.join(" / ")}]` : "";
      return { line: `${style.warn("? PushPals asks:")} ${p.value.text}${options}` };
    }
    case "error":
      // A long message (a failure quoting its output) follows in full with the item's failed line; here its first line is enough.
      return { line: style.bad(`✗ ${firstLine(p.value.message)}${p.value.hint ? ` — ${p.value.hint}` : ""}${p.value.code ? ` (${enumWord(ErrorCode, p.value.code)})` : ""}`) };

    case "requestEnqueued":
      return { line: style.dim(`request ${id} queued${waiting(p.value)}`), progress: { key: id, text: `request ${id} waiting for the planner` } };
    case "requestClaimed":
      return { progress: { key: id, text: `planning (${p.value.workerId}, attempt ${p.value.attempt})` } };
    case "requestCompleted": {
      const jobs = p.value.result?.kind.case === "request" ? p.value.result.kind.value.jobIds : [];
      const words = jobs.length === 0 ? "answered without work" : `planned ${jobs.length} job${jobs.length === 1 ? "" : "s"}`;
      return { line: style.dim(`request ${id} ${words}`), progress: { key: id } };
    }
    case "planCreated": {
      const plan = p.value.plan;
      if (!plan) return {};
      const planning = plan.planning;
      const parts = [
        `intent ${enumWord(Intent, planning?.intent)}`,
        `risk ${enumWord(Risk, planning?.risk)}`,
        plan.requiresWorker ? `lane ${enumWord(Lane, plan.lane)}` : "no job needed",
      ];
      const scope = planning?.scope?.writeGlobs.join(", ");
      if (scope) parts.push(`writes ${oneLine(scope, 40)}`);
      const checks = planning?.validationSteps.length ?? 0;
      if (checks > 0) parts.push(`${checks} check${checks === 1 ? "" : "s"}`);
      return { line: style.dim(`plan: ${parts.join(", ")}`) };
    }

    case "jobEnqueued":
      return {
        line: `job ${style.id(id)} queued${waiting(p.value)}: ${oneLine(p.value.item ? itemSubject(p.value.item) : "", 70)}`,
        progress: { key: id, text: `job ${id} waiting for a worker` },
      };
    case "jobClaimed":
      return { line: style.dim(`job ${id} started on ${p.value.workerId} (attempt ${p.value.attempt})`), progress: { key: id, text: `job ${id} starting on ${p.value.workerId}` } };
    case "jobProgress": {
      const { detail, step, totalSteps } = p.value;
      const stage = enumWord(JobStage, p.value.stage);
      const counter = totalSteps > 0 ? ` ${step}/${totalSteps}` : step > 0 ? ` ${step}` : "";
      return { progress: { key: id, text: `job ${id} ${stage}${counter}${detail ? `: ${detail}` : ""}` } };
    }
    case "agentStep": {
      const step = p.value;
      const what = step.formatError ? style.warn("reply was not a command") : `$ ${oneLine(step.command, 70)}`;
      const exit = step.formatError ? "" : step.exitCode === 0 ? style.dim(" → 0") : style.warn(` → exit ${step.exitCode}`);
      return { line: `${INDENT}step ${step.step}: ${what}${exit}`, progress: { key: id, text: `job ${id} agent step ${step.step}` } };
    }
    case "validationResult": {
      const v = p.value;
      const mark = v.passed ? style.ok("✓") : style.bad("✗");
      const exit = v.passed ? "" : ` (exit ${v.exitCode})`;
      return {
        line: `${INDENT}check ${mark} ${oneLine(v.command, 70)}${exit}${v.round > 1 ? style.dim(` round ${v.round}`) : ""}`,
        progress: { key: id, text: `job ${id} validating: ${oneLine(v.command, 40)}` },
      };
    }
    case "jobCompleted": {
      const result = p.value.result?.kind.case === "job" ? p.value.result.kind.value : undefined;
      const files = result?.changedFiles.length ?? 0;
      const change = result?.sha ? `commit ${shortSha(result.sha)}, ${files} file${files === 1 ? "" : "s"}` : "no change to merge";
      const summary = result?.summary ? ` — ${oneLine(result.summary, 70)}` : "";
      return { line: `${style.ok("✓")} job ${style.id(id)} done in ${durationWord(p.value.runTime)} (${change})${summary}`, progress: { key: id } };
    }

    case "completionEnqueued":
      return { line: style.dim(`change ${id} queued for integration${waiting(p.value)}`), progress: { key: id, text: `change ${id} waiting for integration` } };
    case "completionClaimed":
      return { progress: { key: id, text: `integrating ${id}` } };
    case "integrationStep": {
      const step = p.value;
      // Only the "check" stage carries a finished check; other stages (live check output) name the check they belong to.
      if (step.check && step.stage !== "check") {
        return { progress: { key: id, text: `integrating ${id}: ${step.check.name} ${oneLine(step.detail, 50)}` } };
      }
      if (step.check) {
        const mark = step.check.passed ? style.ok("✓") : style.bad("✗");
        return {
          line: `${INDENT}integration check ${mark} ${step.check.name || oneLine(step.check.command, 50)}${step.check.timedOut ? " (timed out)" : ""}`,
          progress: { key: id, text: `integrating ${id}: check ${step.check.name}` },
        };
      }
      return { progress: { key: id, text: `integrating ${id}: ${step.stage}${step.detail ? ` ${oneLine(step.detail, 50)}` : ""}` } };
    }
    case "pullRequestUpdated":
      return { line: `pull request #${p.value.number} ${p.value.created ? "opened" : "updated"}: ${p.value.url}` };
    case "completionCompleted": {
      const result = p.value.result?.kind.case === "completion" ? p.value.result.kind.value : undefined;
      if (!result) return { line: `${style.ok("✓")} change ${id} integrated`, progress: { key: id } };
      const how = result.alreadyMerged ? "was already merged into" : "merged into";
      const pr = result.prUrl ? ` — ${result.prUrl}` : "";
      const pushed = result.pushed ? ", pushed" : "";
      return { line: `${style.ok(`✓ ${shortSha(result.mergedSha)} ${how} ${result.integrationBranch}`)}${pushed}${pr}`, progress: { key: id } };
    }
    case "completionConflicted": {
      const files = p.value.conflictingFiles.join(", ");
      const repair = p.value.repairJobId ? `; repair job ${p.value.repairJobId} follows` : "; a repair job follows";
      return { line: style.warn(`⚠ change ${id} conflicted${files ? ` in ${oneLine(files, 60)}` : ""}${repair}`), progress: { key: id } };
    }

    case "requestFailed":
    case "jobFailed":
    case "completionFailed":
      return { line: style.bad(`✗ ${kindOf(p.case)} ${id} failed: ${indentFollowing(p.value.error)}`), progress: { key: id } };
    case "requestDeadLettered":
    case "jobDeadLettered":
    case "completionDeadLettered":
      return { line: style.bad(`✗ ${kindOf(p.case)} ${id} gave up after ${p.value.attempts} attempts: ${indentFollowing(p.value.lastError)}`), progress: { key: id } };
    case "requestCancelled":
    case "jobCancelled":
    case "completionCancelled":
      return { line: style.warn(`${kindOf(p.case)} ${id} cancelled${p.value.reason ? `: ${p.value.reason}` : ""}`), progress: { key: id } };
    case "requestRequeued":
    case "jobRequeued":
    case "completionRequeued":
      return {
        line: style.warn(`↻ ${kindOf(p.case)} ${id} will retry (attempt ${p.value.attempt} ${p.value.reason}${p.value.error ? `: ${oneLine(p.value.error, 60)}` : ""})`),
        progress: { key: id, text: `${kindOf(p.case)} ${id} waiting to retry` },
      };
    case "requestCancelRequested":
    case "jobCancelRequested":
    case "completionCancelRequested":
      return { line: style.warn(`${kindOf(p.case)} ${id} asked to stop`) };
    case "artifactAdded":
      return { line: style.dim(`${INDENT}artifact ${p.value.name} (${p.value.sizeBytes} bytes)`) };

    case "agentQuestion":
      return {
        line: `${style.warn(`? job ${id} asks:`)} ${indentFollowing(p.value.text)}\n${INDENT}${style.dim(`answer with: @${id} <answer> (or pushpals answer ${id} <answer>)`)}`,
        progress: { key: id, text: `job ${id} waiting for an answer` },
      };
    case "questionAnswered":
      return { line: `${INDENT}${style.bold(`${p.value.author || "someone"}›`)} answered job ${id}: ${indentFollowing(p.value.text)}` };
    case "jobFollowUp":
      return { line: `${INDENT}${style.bold(`${p.value.author || "someone"}›`)} to job ${id}: ${indentFollowing(p.value.text)}` };
    case "jobPaused":
      return {
        line: style.warn(`⏸ job ${id} paused by ${p.value.author || "someone"}${p.value.reason ? `: ${p.value.reason}` : ""} — pushpals shell ${id}, then pushpals resume ${id}`),
        progress: { key: id, text: `job ${id} paused` },
      };
    case "jobResumed":
      return { line: style.dim(`▶ job ${id} ${p.value.finish ? "finished with its worktree" : "resumed"} by ${p.value.author || "someone"}`) };
    case "shellCommand":
      return { line: style.dim(`${INDENT}${p.value.author || "someone"} in job ${id}: $ ${oneLine(p.value.command, 70)}`) };
    case "shellResult":
      return { line: style.dim(`${INDENT}→ exit ${p.value.exitCode}${p.value.timedOut ? " (timed out)" : ""}`) };
    case "approvalRequested": {
      const approval = p.value.approval;
      if (!approval) return {};
      return {
        line: `${style.warn(`? approval ${style.id(approval.id)} needed:`)} ${indentFollowing(approval.subject)}\n${INDENT}${style.dim(`why: ${approval.rule}; answer with y/n, or pushpals approve|deny ${approval.id}`)}`,
        progress: { key: id, text: `waiting for approval ${approval.id}` },
      };
    }
    case "approvalAnswered": {
      const a = p.value;
      const verdict = a.status === ApprovalStatus.APPROVED ? style.ok(`✓ approval ${a.approvalId} approved`) : style.bad(`✗ approval ${a.approvalId} denied`);
      const by = a.timedOut ? "by its timeout" : `by ${a.answeredBy}`;
      return { line: `${verdict} ${by}${a.comment ? `: ${oneLine(a.comment, 80)}` : ""}` };
    }

    case "autonomyModeChanged": {
      const state = p.value.state;
      const cancelled = p.value.cancelledItemIds.length;
      return {
        line: style.dim(
          `autonomy ${enumWord(AutonomyMode, state?.mode)} by ${state?.updatedBy ?? "someone"}${cancelled > 0 ? ` (${cancelled} autonomous item${cancelled === 1 ? "" : "s"} cancelled)` : ""}`,
        ),
      };
    }
    case "objectiveUpdated": {
      const o = p.value.objective;
      const outcome = o && o.outcome !== ObjectiveOutcome.UNSPECIFIED ? `, ${enumWord(ObjectiveOutcome, o.outcome)}` : "";
      return { line: style.dim(`objective ${o?.id ?? ""} ${enumWord(ObjectiveStatus, o?.status)}${outcome}: ${oneLine(o?.title ?? "", 80)}`) };
    }
    case "jobLog":
      return { progress: { key: id, text: `job ${id} › ${p.value.text}`, transient: true } };
    case "tokenUsage":
    case "sessionCreated":
    case undefined:
      return {};
  }
}

function waiting(enqueued: ItemEnqueued): string {
  const words = enqueued.item ? positionWords(enqueued.item) : "";
  return words ? ` (${words})` : "";
}

function kindOf(eventCase: string): string {
  if (eventCase.startsWith("request")) return "request";
  if (eventCase.startsWith("job")) return "job";
  return "change";
}

function enumWord<E extends Record<string, string | number>>(enumObject: E, value: number | undefined): string {
  const name = value === undefined ? undefined : enumObject[value as keyof E];
  return typeof name === "string" && name !== "UNSPECIFIED" ? name.toLowerCase().replace(/_/g, " ") : "unspecified";
}

/** Continuation lines of a multi-line reply or error (its output's summary and tail) line up under its first line. */
function indentFollowing(text: string): string {
  return text.trimEnd().replace(/\n/g, `\n${INDENT}`);
}

function firstLine(text: string): string {
  const newline = text.indexOf("\n");
  return newline === -1 ? text : text.slice(0, newline);
}
