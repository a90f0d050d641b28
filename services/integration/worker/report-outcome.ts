import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { ErrorOccurredSchema, EventSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { ItemResultSchema, type CompletionPayload, type QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { ItemStatus } from "../../../gen/pushpals/v1/common_pb.js";
import { FailMode } from "../../../gen/pushpals/v1/queues_pb.js";
import { errorCodeOf, errorMessage, leaseLostDetail } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/log.js";
import type { IntegrationOutcome } from "../outcome.js";
import { askAboutConflict } from "./ask-person.js";
import { checkFailureMessage } from "./check-failure.js";
import type { QueueClient, SessionClient } from "./clients.js";
import { repairRoundsSoFar } from "./conflict-round.js";
import type { LeaseEnd } from "../../../shared/lease-keeper.js";
import { repairJobRequest, type Conflict } from "./repair-job.js";
import { withRetries } from "./rpc-retry.js";

/** FailRequest.error holds at most 64 KiB; leave room for the words around the output. */
const MAX_ERROR_CHARS = 60 * 1024;
/** Where a failed attempt leaves a completion that will not be tried again. */
const ENDED = new Set([ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.CANCELLED]);

export interface ReportContext {
  queues: QueueClient;
  sessions: SessionClient;
  item: QueueItem;
  completion: CompletionPayload;
  leaseToken: string;
  maxConflictRounds: number;
  log: Logger;
  /** For the report's own calls; not the lease's signal, which may already have aborted. */
  signal?: AbortSignal;
}

/** What became of the completion in the queue. */
export type Report =
  | { kind: "completed" }
  /** `final`: the completion will not be integrated (failed, dead-lettered or cancelled). */
  | { kind: "failed"; mode: FailMode; final: boolean }
  | { kind: "conflicted"; repairJobId: string }
  | { kind: "asked"; question: string }
  /** The lease was no longer ours: whoever holds the item now reports it. */
  | { kind: "lost" };

/**
 * Maps an integration outcome onto the queue: merged / already merged → Complete with
 * the CompletionResult; failing check → Fail FINAL with its output; conflict → a repair
 * job first, then Fail CONFLICTED naming it (or, once repairs ran out, a question to the
 * person); error → Fail RETRY when retryable, else FINAL. A lease that ended changes
 * that: lost → report nothing; cancelled before a merge → Fail RETRY (the queue turns a
 * cancelled item's retry into "cancelled"); stopping → Fail RETRY for the error the
 * abort caused.
 */
export async function reportOutcome(ctx: ReportContext, outcome: IntegrationOutcome, leaseEnd: LeaseEnd | undefined): Promise<Report> {
  if (leaseEnd?.kind === "lost") {
    ctx.log.warn({ outcome: outcome.kind }, "lease lost before the outcome was reported; whoever holds the completion now reports it (a merge is found by its trailer)");
    return { kind: "lost" };
  }
  try {
    return await report(ctx, outcome, leaseEnd);
  } catch (error) {
    if (leaseLostDetail(error) !== undefined) {
      ctx.log.warn({ outcome: outcome.kind, err: errorMessage(error) }, "lease lost while reporting; the next holder reports it");
      return { kind: "lost" };
    }
    throw error;
  }
}

async function report(ctx: ReportContext, outcome: IntegrationOutcome, leaseEnd: LeaseEnd | undefined): Promise<Report> {
  if (outcome.kind === "merged" || outcome.kind === "already_merged") {
    await withRetries(
      () =>
        ctx.queues.complete(
          { itemId: ctx.item.id, leaseToken: ctx.leaseToken, result: create(ItemResultSchema, { kind: { case: "completion", value: outcome.result } }) },
          { signal: ctx.signal },
        ),
      { signal: ctx.signal },
    );
    return { kind: "completed" };
  }
  if (leaseEnd?.kind === "cancelled") return fail(ctx, FailMode.RETRY, "cancelled on request while integrating; nothing was merged");
  // Only the error the abort itself caused is overridden; a check that had already failed still counts.
  if (leaseEnd?.kind === "stopping" && outcome.kind === "error") {
    return fail(ctx, FailMode.RETRY, "the integration service stopped while integrating; nothing was merged and the completion will be retried");
  }
  switch (outcome.kind) {
    case "checks_failed":
      return fail(ctx, FailMode.FINAL, checkFailureMessage(outcome.failed, ctx.completion));
    case "conflicted":
      return conflicted(ctx, outcome);
    case "error": {
      const mode = outcome.retryable ? FailMode.RETRY : FailMode.FINAL;
      if (!outcome.retryable) await recordError(ctx, outcome.error);
      return fail(ctx, mode, `${outcome.stage}: ${outcome.error.rawMessage}`);
    }
  }
}

async function conflicted(ctx: ReportContext, conflict: Conflict): Promise<Report> {
  const rounds = await withRetries(() => repairRoundsSoFar(ctx.queues, ctx.completion, ctx.signal), { signal: ctx.signal });
  const files = conflict.files.length > 0 ? conflict.files.join(", ") : "no single file (not a fast-forward)";
  if (rounds >= ctx.maxConflictRounds) {
    const question = await withRetries(() => askAboutConflict(ctx.sessions, ctx.item, ctx.completion, conflict, rounds, ctx.signal), { signal: ctx.signal });
    await failConflicted(ctx, conflict, "", `${conflict.message} (${files}); ${rounds} repair round(s) spent, the person was asked how to go on`);
    ctx.log.info({ files: conflict.files, rounds }, "conflict after the last repair round; asked the person");
    return { kind: "asked", question };
  }
  // The repair job first: a crash before the Fail below re-runs this and gets the same job back (idempotency key).
  const request = repairJobRequest(ctx.item, ctx.completion, conflict, rounds + 1, ctx.maxConflictRounds);
  const { item: job } = await withRetries(() => ctx.queues.enqueue(request, { signal: ctx.signal }), { signal: ctx.signal });
  const repairJobId = job?.id ?? "";
  await failConflicted(
    ctx,
    conflict,
    repairJobId,
    `${conflict.message} (${files}); repair job ${repairJobId} (round ${rounds + 1} of ${ctx.maxConflictRounds}) rebases it onto ${conflict.ontoRef}`,
  );
  ctx.log.info({ files: conflict.files, repairJobId, round: rounds + 1 }, "conflict; repair job enqueued");
  return { kind: "conflicted", repairJobId };
}

async function failConflicted(ctx: ReportContext, conflict: Conflict, repairJobId: string, error: string): Promise<void> {
  await withRetries(
    () =>
      ctx.queues.fail(
        { itemId: ctx.item.id, leaseToken: ctx.leaseToken, mode: FailMode.CONFLICTED, error: bounded(error), conflictingFiles: conflict.files, repairJobId },
        { signal: ctx.signal },
      ),
    { signal: ctx.signal },
  );
}

async function fail(ctx: ReportContext, mode: FailMode, error: string): Promise<Report> {
  const { item } = await withRetries(() => ctx.queues.fail({ itemId: ctx.item.id, leaseToken: ctx.leaseToken, mode, error: bounded(error) }, { signal: ctx.signal }), {
    signal: ctx.signal,
  });
  return { kind: "failed", mode, final: mode === FailMode.FINAL || (item !== undefined && ENDED.has(item.status)) };
}

/** An error nobody will retry is worth a line of its own in the session, with what to do. */
async function recordError(ctx: ReportContext, error: ConnectError): Promise<void> {
  const value = create(ErrorOccurredSchema, {
    code: errorCodeOf(error.code),
    message: error.rawMessage,
    hint: "integration will not retry this completion; fix what the message names, then run the job again",
  });
  await withRetries(
    () =>
      ctx.sessions.appendEvents(
        { sessionId: ctx.item.sessionId, events: [create(EventSchema, { itemId: ctx.item.id, payload: { case: "error", value } })] },
        { signal: ctx.signal },
      ),
    {
      signal: ctx.signal,
    },
  ).catch((cause: unknown) => ctx.log.warn({ err: errorMessage(cause) }, "could not record the error event"));
}

function bounded(text: string): string {
  return text.length <= MAX_ERROR_CHARS
    ? text
    : `${text.slice(0, MAX_ERROR_CHARS / 4)}\n… ${text.length - MAX_ERROR_CHARS} characters omitted …\n${text.slice(-(MAX_ERROR_CHARS * 3) / 4)}`;
}
