import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { CompletionPayload, QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../../gen/pushpals/v1/queues_pb.js";
import { errorMessage } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/log.js";
import { fromTimestamp } from "../../../shared/time.js";
import type { Integrator } from "../integrator.js";
import type { IntegrationOutcome } from "../outcome.js";
import { checkOutputLog } from "./check-output-log.js";
import type { QueueClient, SessionClient } from "./clients.js";
import { eventRecorder } from "./event-recorder.js";
import { finishedBranches } from "./finished-branches.js";
import { keepLease } from "../../../shared/lease-keeper.js";
import { pullRequestApprovalGate, pushApprovalGate, type PushApprovalDeps } from "./push-approval.js";
import { reportOutcome, type Report } from "./report-outcome.js";
import { isTransient, withRetries } from "./rpc-retry.js";

export interface ProcessDeps {
  queues: QueueClient;
  sessions: SessionClient;
  integrator: Integrator;
  leaseMs: number;
  maxConflictRounds: number;
  log: Logger;
  /** [approvals] push; unset means every push goes ahead. */
  approvals?: PushApprovalDeps;
}

export interface Claimed {
  item: QueueItem;
  leaseToken: string;
  leaseExpiresAtMs: number;
}

/**
 * How long reporting may take. Not the service's signal: a finished merge is worth
 * recording even while the service stops, and a stuck control plane must not hold
 * shutdown forever (an unreported merge is found by its trailer on the next claim).
 */
const REPORT_GRACE_MS = 10_000;

/**
 * One claimed completion, start to finish: keep its lease alive, integrate it with
 * every progress step (and the checks' live output) recorded on the completion, then
 * report the outcome to the queue. `signal` is the service's; stopping aborts the
 * integration and hands the completion back for a retry. A transient control-plane
 * error is thrown (the loop backs off; the lease expiry brings the item back); any
 * other unexpected error fails this attempt for a retry, so one bad completion cannot
 * stop the service — its attempts run out and it is dead-lettered.
 */
export async function processCompletion(deps: ProcessDeps, claimed: Claimed, signal: AbortSignal): Promise<{ outcome: IntegrationOutcome | undefined; report: Report }> {
  const { item } = claimed;
  const payload = item.payload?.kind;
  const log = deps.log.child({
    completionId: item.id,
    sessionId: item.sessionId,
    attempt: item.attempts,
    ...(payload?.case === "completion" ? { jobId: payload.value.jobId } : {}),
  });
  try {
    if (payload?.case !== "completion") {
      // The control plane only accepts completions on this queue; this guards against a store bug, not a caller.
      const error = `completions queue item carries ${payload?.case ?? "no payload"}, not a completion; it cannot be integrated`;
      await withRetries(() => deps.queues.fail({ itemId: item.id, leaseToken: claimed.leaseToken, mode: FailMode.FINAL, error }));
      return { outcome: undefined, report: { kind: "failed", mode: FailMode.FINAL, final: true } };
    }
    return await integrateAndReport(deps, claimed, payload.value, signal, log);
  } catch (error) {
    if (isTransient(error)) throw error;
    log.error({ err: errorMessage(error) }, "unexpected error while integrating; failing this attempt so it is retried");
    const message = `integration failed unexpectedly: ${errorMessage(error)}; it is retried until its attempts run out — if it keeps failing, see the integration service's log for ${item.id}`;
    await deps.queues
      .fail({ itemId: item.id, leaseToken: claimed.leaseToken, mode: FailMode.RETRY, error: message.slice(0, 60 * 1024) }, { signal: AbortSignal.timeout(REPORT_GRACE_MS) })
      .catch((cause: unknown) => log.warn({ err: errorMessage(cause) }, "could not fail the attempt either; its lease expiry brings it back"));
    return { outcome: undefined, report: { kind: "failed", mode: FailMode.RETRY, final: false } };
  }
}

async function integrateAndReport(deps: ProcessDeps, claimed: Claimed, completion: CompletionPayload, signal: AbortSignal, log: Logger) {
  const { item } = claimed;
  log.info({ branch: completion.branch, sha: completion.sha }, "integrating completion");
  const keeper = keepLease(
    deps.queues,
    { itemId: item.id, leaseToken: claimed.leaseToken },
    { leaseMs: deps.leaseMs, expiresAtMs: claimed.leaseExpiresAtMs, signal, logger: log, what: "completion" },
  );
  const recorder = eventRecorder(deps.sessions, { sessionId: item.sessionId, itemId: item.id }, log);
  const output = checkOutputLog(recorder);
  let outcome: IntegrationOutcome;
  try {
    outcome = await deps.integrator.integrate(completion, {
      completionId: item.id,
      signal: keeper.signal,
      log,
      onCheckOutput: output.push,
      approvePush: pushApprovalGate(deps.approvals, item, { signal: keeper.signal, log }),
      approvePullRequest: pullRequestApprovalGate(deps.approvals, item, { signal: keeper.signal, log }),
      onProgress: (progress) => {
        output.flush();
        recorder.record(progress);
      },
    });
  } finally {
    output.close();
    await keeper.stop();
  }
  await recorder.flush();

  const report = await reportOutcome(
    {
      queues: deps.queues,
      sessions: deps.sessions,
      item,
      completion,
      leaseToken: claimed.leaseToken,
      maxConflictRounds: deps.maxConflictRounds,
      log,
      signal: AbortSignal.timeout(REPORT_GRACE_MS),
    },
    outcome,
    keeper.ended,
  );
  log.info({ outcome: outcome.kind, report: report.kind }, "completion integrated");
  if (deps.integrator.deletesJobBranches) {
    await deps.integrator.deleteJobBranches(await finishedBranches(deps.queues, item, report, log, AbortSignal.timeout(REPORT_GRACE_MS)), log);
  }
  return { outcome, report };
}

/** The claim's answer as a held completion; undefined when nothing was claimable. */
export function claimedFrom(response: { item?: QueueItem; leaseToken: string; leaseExpiresAt?: Timestamp }, leaseMs: number): Claimed | undefined {
  if (!response.item) return undefined;
  return { item: response.item, leaseToken: response.leaseToken, leaseExpiresAtMs: fromTimestamp(response.leaseExpiresAt) ?? Date.now() + leaseMs };
}
