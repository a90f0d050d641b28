import { create } from "@bufbuild/protobuf";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema, ItemResultSchema, RequestResultSchema, type QueueItem, type RequestPayload } from "../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { TaskExecuteV2Schema, type Plan } from "../../gen/pushpals/v1/task_pb.js";
import { errorMessage } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { clipMiddle } from "../../shared/text/clip.js";
import { isTransient } from "./failure-hints.js";
import { keepLease, type LeaseEnd, type LeaseKeeper } from "../../shared/lease-keeper.js";
import { buildPlanMessages } from "./plan-prompt.js";
import { approvePlan } from "./plan-approval.js";
import { planWithRepair, type PlanOutcome } from "./plan-with-repair.js";
import { toPlanMessage } from "./plan-message.js";
import type { PlannerDeps } from "./planner-deps.js";
import * as events from "./request-events.js";

export interface ClaimedRequest {
  item: QueueItem;
  leaseToken: string;
}

/** Queue errors are stored whole; people read the first lines. */
const REASON_CHARS = 4000;

/**
 * Plans one claimed request to its end: a job enqueued and the request completed, or the
 * request failed with the reason and the person told. Never throws for the request's own
 * troubles; when `stop` aborts mid-way it leaves the request to its lease, whose expiry puts
 * it back for the next planner (which picks up a plan this attempt already recorded).
 */
export async function planClaimedRequest(deps: PlannerDeps, claimed: ClaimedRequest, stop: AbortSignal): Promise<void> {
  const { item } = claimed;
  const log = deps.logger.child({ requestId: item.id, sessionId: item.sessionId, attempt: item.attempts });
  const request = requestPayload(item);
  const lease = keepLease(deps.clients.queues, { itemId: item.id, leaseToken: claimed.leaseToken }, { leaseMs: deps.settings.leaseMs, signal: stop, logger: log, what: "request" });
  const run = new RequestRun(deps, claimed, request, lease, log, stop);
  try {
    await run.toEnd();
  } catch (error) {
    const end = lease.ended;
    if (end) await run.onLeaseEnd(end);
    else await run.onUnexpected(error);
  } finally {
    await lease.stop();
  }
}

function requestPayload(item: QueueItem): RequestPayload {
  // The requests queue refuses any other payload at enqueue; anything else is a store bug.
  if (item.payload?.kind.case !== "request") throw new Error(`request ${item.id} carries a ${item.payload?.kind.case ?? "missing"} payload`);
  return item.payload.kind.value;
}

class RequestRun {
  private readonly item: QueueItem;
  private readonly leaseToken: string;

  constructor(
    private readonly deps: PlannerDeps,
    claimed: ClaimedRequest,
    private readonly request: RequestPayload,
    private readonly lease: LeaseKeeper,
    private readonly log: Logger,
    /** Used once a plan exists: from then on a cancel no longer stops the job being enqueued. */
    private readonly stop: AbortSignal,
  ) {
    this.item = claimed.item;
    this.leaseToken = claimed.leaseToken;
  }

  async toEnd(): Promise<void> {
    const recorded = this.item.attempts > 1 ? await this.recordedPlan() : undefined;
    if (recorded) this.log.info("an earlier attempt recorded the plan; enqueueing its job without asking the model again");
    const plan = recorded ?? (await this.planAndTell());
    if (!plan) return;
    if (plan.requiresWorker && !(await this.approved(plan))) return;
    const jobIds = plan.requiresWorker ? [await this.enqueueJob(plan)] : [];
    const result = create(RequestResultSchema, { jobIds, assistantMessage: plan.assistantMessage, plan });
    await this.deps.clients.queues.complete(
      { itemId: this.item.id, leaseToken: this.leaseToken, result: create(ItemResultSchema, { kind: { case: "request", value: result } }) },
      { signal: this.stop },
    );
    this.log.info({ jobIds }, jobIds.length > 0 ? "request planned; job enqueued" : "request answered; no job needed");
  }

  /** The [approvals] policy's say on the plan's job; a refusal ends the request, with the reason told. */
  private async approved(plan: Plan): Promise<boolean> {
    const verdict = await approvePlan(this.deps.clients, this.deps.approvals, { item: this.item, text: this.request.text }, plan, {
      signal: this.lease.signal,
      logger: this.log,
    });
    if (this.lease.signal.aborted) throw this.lease.signal.reason;
    if (verdict.go) return true;
    this.log.info({ reason: verdict.reason }, "plan not approved; ending the request");
    await this.append([this.tell(`I will not run this plan: ${verdict.reason}.`)]);
    await this.fail(`not approved: ${clipMiddle(verdict.reason, REASON_CHARS)}`, FailMode.FINAL);
    return false;
  }

  /** Asks the model, records usage and the outcome; undefined when the request was failed. */
  private async planAndTell(): Promise<Plan | undefined> {
    const { deps, lease } = this;
    this.log.info("planning request");
    const messages = await buildPlanMessages(deps, { text: this.request.text, sessionId: this.item.sessionId, messageSeq: this.request.messageSeq || undefined }, lease.signal);
    const outcome = await planWithRepair(deps.model, deps.prompts, messages, { signal: lease.signal, logger: this.log, maxTokens: deps.settings.maxTokens });
    if (lease.signal.aborted) throw lease.signal.reason;
    const usage = outcome.calls.map((calls) => events.tokenUsage(this.item.id, deps.model.model, calls));
    if (!outcome.ok) {
      await this.failPlanning(outcome, usage);
      return undefined;
    }
    const plan = toPlanMessage(outcome.plan);
    // One append: a plan_created in the log always comes with the person's answer.
    await this.append([
      ...usage,
      events.planCreated(this.item.id, plan, outcome.calls.length),
      events.assistantMessage(this.item.id, plan.assistantMessage, this.request.messageSeq),
      ...(plan.clarifyingQuestion ? [events.clarifyingQuestion(this.item.id, plan.clarifyingQuestion)] : []),
    ]);
    return plan;
  }

  private async failPlanning(outcome: Extract<PlanOutcome, { ok: false }>, usage: Event[]): Promise<void> {
    const { error, hint } = outcome;
    const reason = clipMiddle(error.rawMessage, REASON_CHARS);
    const failed = events.errorOccurred(this.item.id, error.code, reason, hint);
    if (!isTransient(error.code)) {
      this.log.warn({ err: reason, code: error.code }, "planning failed; failing the request");
      await this.append([...usage, failed, this.tell(`I could not plan this request: ${reason}\nWhat to do: ${hint}.`)]);
      await this.fail(reason, FailMode.FINAL);
      return;
    }
    this.log.warn({ err: reason, code: error.code }, "planning failed for a reason that may pass; putting the request back");
    await this.append([...usage, failed]);
    const after = await this.fail(reason, FailMode.RETRY);
    if (after?.status === ItemStatus.DEAD_LETTER) {
      await this.append([this.tell(`I gave up on this request after ${after.attempts} attempts: ${reason}\nWhat to do: ${hint}.`)]);
    }
  }

  async onLeaseEnd(end: LeaseEnd): Promise<void> {
    switch (end.kind) {
      case "stopping":
        this.log.info("planner stopping mid-request; the request returns to the queue when its lease expires");
        return;
      case "lost":
        this.log.warn({ err: end.detail }, "lost the lease on the request; leaving it to whoever holds it now");
        return;
      case "cancelled":
        this.log.info("request cancelled while planning");
        await this.settle(async () => {
          await this.append([this.tell("Stopped: this request was cancelled before it was planned.")]);
          await this.fail("cancelled while planning", FailMode.FINAL);
        });
    }
  }

  /** A fault of ours or of the control plane: the attempt goes back to the queue (attempts are capped). */
  async onUnexpected(error: unknown): Promise<void> {
    const message = errorMessage(error);
    this.log.error({ err: error }, "planning the request failed unexpectedly; putting it back on the queue");
    await this.settle(() => this.fail(`planner error: ${clipMiddle(message, REASON_CHARS)}`, FailMode.RETRY));
  }

  private async recordedPlan(): Promise<Plan | undefined> {
    const { events: recorded } = await this.deps.clients.sessions.listEvents({ sessionId: this.item.sessionId, itemId: this.item.id, limit: 1000 }, { signal: this.lease.signal });
    const created = recorded.findLast((event) => event.payload.case === "planCreated");
    return created?.payload.case === "planCreated" ? created.payload.value.plan : undefined;
  }

  /** Keyed by the request: a planner that crashes after this line and retries gets the same job back. */
  private async enqueueJob(plan: Plan): Promise<string> {
    const task = create(TaskExecuteV2Schema, { lane: plan.lane, instruction: plan.workerInstruction, planning: plan.planning, requestId: this.item.id });
    const { item: job, existing } = await this.deps.clients.queues.enqueue(
      {
        queue: QueueName.JOBS,
        sessionId: this.item.sessionId,
        priority: this.item.priority,
        payload: create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: task } }),
        idempotencyKey: `job:${this.item.id}`,
        parentId: this.item.id,
      },
      { signal: this.stop },
    );
    if (!job) throw new Error(`enqueue of the job for ${this.item.id} answered without an item`);
    this.log.info({ jobId: job.id, existing }, existing ? "the job was already enqueued by an earlier attempt" : "job enqueued");
    return job.id;
  }

  private tell(text: string): Event {
    return events.assistantMessage(this.item.id, text, this.request.messageSeq);
  }

  private async append(list: Event[]): Promise<void> {
    if (list.length === 0) return;
    await this.deps.clients.sessions.appendEvents({ sessionId: this.item.sessionId, events: list }, { signal: this.stop });
  }

  private async fail(reason: string, mode: FailMode): Promise<QueueItem | undefined> {
    const { item } = await this.deps.clients.queues.fail({ itemId: this.item.id, leaseToken: this.leaseToken, error: reason, mode }, { signal: this.stop });
    return item;
  }

  /** Last-ditch steps may fail too (the control plane is down); the lease then returns the request. */
  private async settle(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.log.error({ err: errorMessage(error) }, "could not record the request's end; it returns to the queue when its lease expires");
    }
  }
}
