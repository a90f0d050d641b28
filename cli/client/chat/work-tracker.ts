import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { shortSha } from "../format.js";

export interface Merge {
  completionId: string;
  mergedSha: string;
  integrationBranch: string;
  prUrl: string;
  alreadyMerged: boolean;
}

/** How the work a message started ended. */
export type WorkOutcome =
  | { status: "merged"; reason: string; merges: Merge[] }
  | { status: "answered"; reason: string }
  | { status: "no_change"; reason: string; jobIds: string[] }
  | { status: "failed"; reason: string; itemId: string }
  | { status: "needs_answer"; reason: string; question: string };

/**
 * Follows the chain of work one message caused — request → job(s) → completion(s),
 * and repair jobs after a conflict — through the session's events, and says when it
 * has ended and how. Pure: it only reads the events it is shown, in log order.
 */
export class WorkTracker {
  /** Every item that belongs to this work (whatever its state). */
  private readonly ours = new Set<string>();
  /** Items (or awaited repairs) still in flight, with what they are, for a timeout message. */
  private readonly open = new Map<string, string>();
  /** Jobs whose change went to integration. */
  private readonly jobsWithChange = new Set<string>();
  private readonly merges: Merge[] = [];
  private readonly unchangedJobs: string[] = [];

  constructor(requestId: string) {
    this.adopt(requestId, `request ${requestId}`);
  }

  /** Whether an event is about this work (after `observe` has seen it). */
  concerns(event: Event): boolean {
    return event.itemId === "" || this.ours.has(event.itemId);
  }

  /** What is still running, for a person waiting on it. */
  pending(): string[] {
    return [...this.open.values()];
  }

  /** Feeds the next event; returns the outcome once the work has ended. */
  observe(event: Event): WorkOutcome | undefined {
    const id = event.itemId;
    const p = event.payload;
    switch (p.case) {
      case "requestEnqueued":
      case "jobEnqueued":
      case "completionEnqueued":
        if (p.value.item) this.adoptIfChild(p.value.item);
        return undefined;
      case "question":
        if (id !== "" && !this.ours.has(id)) return undefined;
        return { status: "needs_answer", question: p.value.text, reason: `PushPals needs an answer before it can go on: ${p.value.text} (reply with \`pushpals chat\`)` };
    }
    if (!this.ours.has(id)) return undefined;
    switch (p.case) {
      case "requestCompleted": {
        const jobIds = p.value.result?.kind.case === "request" ? p.value.result.kind.value.jobIds : [];
        for (const jobId of jobIds) this.adopt(jobId, `job ${jobId}`);
        this.open.delete(id);
        break;
      }
      case "jobCompleted": {
        const completionId = p.value.result?.kind.case === "job" ? p.value.result.kind.value.completionId : "";
        if (completionId) {
          this.jobsWithChange.add(id);
          this.adopt(completionId, `change ${completionId} (integration)`);
        } else if (!this.jobsWithChange.has(id)) {
          this.unchangedJobs.push(id);
        }
        this.open.delete(id);
        break;
      }
      case "completionCompleted": {
        const result = p.value.result?.kind.case === "completion" ? p.value.result.kind.value : undefined;
        this.merges.push({
          completionId: id,
          mergedSha: result?.mergedSha ?? "",
          integrationBranch: result?.integrationBranch ?? "",
          prUrl: result?.prUrl ?? "",
          alreadyMerged: result?.alreadyMerged ?? false,
        });
        this.open.delete(id);
        break;
      }
      case "completionConflicted":
        this.open.delete(id);
        if (p.value.repairJobId) this.adopt(p.value.repairJobId, `repair job ${p.value.repairJobId}`);
        else this.open.set(repairKey(id), `the repair job for ${id}`);
        break;
      case "requestFailed":
      case "jobFailed":
      case "completionFailed":
        return { status: "failed", itemId: id, reason: `${kindOf(id)} ${id} failed: ${p.value.error}` };
      case "requestDeadLettered":
      case "jobDeadLettered":
      case "completionDeadLettered":
        return { status: "failed", itemId: id, reason: `${kindOf(id)} ${id} gave up after ${p.value.attempts} attempts: ${p.value.lastError}` };
      case "requestCancelled":
      case "jobCancelled":
      case "completionCancelled":
        return { status: "failed", itemId: id, reason: `${kindOf(id)} ${id} was cancelled${p.value.reason ? `: ${p.value.reason}` : ""}` };
      default:
        return undefined;
    }
    return this.open.size === 0 ? this.ended() : undefined;
  }

  private ended(): WorkOutcome {
    if (this.merges.length > 0) {
      const words = this.merges.map((merge) => `${shortSha(merge.mergedSha)} into ${merge.integrationBranch}${merge.prUrl ? ` (${merge.prUrl})` : ""}`);
      return { status: "merged", merges: [...this.merges], reason: `merged ${words.join(", ")}` };
    }
    if (this.unchangedJobs.length > 0) {
      return { status: "no_change", jobIds: [...this.unchangedJobs], reason: `the work finished without a change to merge (${this.unchangedJobs.join(", ")})` };
    }
    return { status: "answered", reason: "answered without work" };
  }

  private adoptIfChild(item: QueueItem): void {
    const repairOf = item.payload?.kind.case === "taskExecuteV2" ? item.payload.kind.value.repair?.completionId : undefined;
    const parent = [item.parentId, repairOf].find((candidate) => candidate && this.ours.has(candidate));
    if (!parent && !this.ours.has(item.id)) return;
    if (parent) this.open.delete(repairKey(parent));
    if (item.payload?.kind.case === "completion" && parent) this.jobsWithChange.add(parent);
    this.adopt(item.id, `${kindOf(item.id)} ${item.id}`);
  }

  private adopt(id: string, label: string): void {
    if (this.ours.has(id)) return;
    this.ours.add(id);
    this.open.set(id, label);
  }
}

function repairKey(completionId: string): string {
  return `repair-of:${completionId}`;
}

function kindOf(id: string): string {
  return id.startsWith("req_") ? "request" : id.startsWith("job_") ? "job" : "change";
}
