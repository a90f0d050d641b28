import { create } from "@bufbuild/protobuf";
import { ItemStatus } from "../../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import { MergeOutcome, MergeSchema, type Merge } from "../../../gen/pushpals/v1/integration_pb.js";
import type { CheckResult, QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import type { SessionClient } from "../worker/clients.js";
import { MergeStrategy } from "../../../gen/pushpals/v1/kinds_pb.js";

/** Finished completions that are part of the history; cancelled ones never reached integration's verdict. */
export const HISTORY_STATUSES = [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.CONFLICTED, ItemStatus.DEAD_LETTER];

/** ListEvents' largest page. */
const EVENTS_PAGE = 1000;

/**
 * One finished completion as the contract's Merge. A completed item carries its
 * CompletionResult (sha, strategy, checks, PR URL); a conflicted one its error. A failed
 * or dead-lettered one keeps only its last error in the queue, so its checks are read
 * back from the integration_step events of its last attempt: a failed check there
 * means CHECKS_FAILED, none means ERROR.
 */
export async function mergeFromItem(item: QueueItem, sessions: SessionClient, signal?: AbortSignal): Promise<Merge> {
  const completion = item.payload?.kind.case === "completion" ? item.payload.kind.value : undefined;
  const base = {
    completionId: item.id,
    jobId: completion?.jobId ?? "",
    sessionId: item.sessionId,
    finishedAt: item.finishedAt,
  };
  if (item.status === ItemStatus.COMPLETED) {
    const result = item.result?.kind.case === "completion" ? item.result.kind.value : undefined;
    return create(MergeSchema, {
      ...base,
      outcome: result?.alreadyMerged ? MergeOutcome.ALREADY_MERGED : MergeOutcome.MERGED,
      strategy: result?.strategy ?? MergeStrategy.UNSPECIFIED,
      sha: result?.mergedSha ?? "",
      checks: result?.checks ?? [],
      prUrl: result?.prUrl ?? "",
    });
  }
  if (item.status === ItemStatus.CONFLICTED) return create(MergeSchema, { ...base, outcome: MergeOutcome.CONFLICTED, error: item.lastError });
  const checks = await lastAttemptChecks(sessions, item, signal);
  const failedCheck = item.status === ItemStatus.FAILED && checks.some((check) => !check.passed);
  return create(MergeSchema, { ...base, outcome: failedCheck ? MergeOutcome.CHECKS_FAILED : MergeOutcome.ERROR, checks, error: item.lastError });
}

/** The check results recorded during the item's last claim. */
async function lastAttemptChecks(sessions: SessionClient, item: QueueItem, signal?: AbortSignal): Promise<CheckResult[]> {
  let checks: CheckResult[] = [];
  let afterSeq = 0n;
  for (;;) {
    const page = await sessions.listEvents({ sessionId: item.sessionId, itemId: item.id, afterSeq, limit: EVENTS_PAGE }, { signal });
    for (const event of page.events) checks = step(checks, event);
    if (!page.hasMore) return checks;
    afterSeq = page.nextAfterSeq;
  }
}

function step(checks: CheckResult[], event: Event): CheckResult[] {
  const payload = event.payload;
  if (payload.case === "completionClaimed") return [];
  if (payload.case === "integrationStep" && payload.value.stage === "check" && payload.value.check) return [...checks, payload.value.check];
  return checks;
}
