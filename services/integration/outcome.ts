import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { MergeOutcome, MergeSchema, type Merge } from "../../gen/pushpals/v1/integration_pb.js";
import type { CheckResult, CompletionResult } from "../../gen/pushpals/v1/items_pb.js";
import { toTimestamp } from "../../shared/time.js";
import { strategyEnum } from "./strategy-enum.js";

/**
 * What one completion's trip through integration ended in. The loop maps it onto the
 * queue: merged / already_merged → complete with `result`; checks_failed → fail (final);
 * conflicted → fail (conflicted) and enqueue a repair job onto `ontoRef`;
 * error → fail (retry when `retryable`, else final).
 */
export type IntegrationOutcome =
  | { kind: "merged"; result: CompletionResult; pullRequestError?: string }
  | { kind: "already_merged"; result: CompletionResult; pullRequestError?: string }
  | { kind: "checks_failed"; checks: CheckResult[]; failed: CheckResult }
  | { kind: "conflicted"; files: string[]; message: string; ontoRef: string; ontoSha: string }
  | { kind: "error"; stage: string; error: ConnectError; retryable: boolean };

export interface MergeIdentity {
  completionId: string;
  jobId: string;
  sessionId: string;
  strategy: string;
  finishedAtMs: number;
}

const OUTCOME_CODES: Record<IntegrationOutcome["kind"], MergeOutcome> = {
  merged: MergeOutcome.MERGED,
  already_merged: MergeOutcome.ALREADY_MERGED,
  checks_failed: MergeOutcome.CHECKS_FAILED,
  conflicted: MergeOutcome.CONFLICTED,
  error: MergeOutcome.ERROR,
};

/** The outcome as the contract's Merge record (history, status, events). */
export function toMerge(outcome: IntegrationOutcome, identity: MergeIdentity): Merge {
  const base = {
    completionId: identity.completionId,
    jobId: identity.jobId,
    sessionId: identity.sessionId,
    strategy: strategyEnum(identity.strategy),
    outcome: OUTCOME_CODES[outcome.kind],
    finishedAt: toTimestamp(identity.finishedAtMs),
  };
  switch (outcome.kind) {
    case "merged":
    case "already_merged":
      return create(MergeSchema, {
        ...base,
        sha: outcome.result.mergedSha,
        checks: outcome.result.checks,
        prUrl: outcome.result.prUrl,
        error: outcome.pullRequestError ?? "",
      });
    case "checks_failed":
      return create(MergeSchema, { ...base, checks: outcome.checks, error: `check ${outcome.failed.name} failed` });
    case "conflicted":
      return create(MergeSchema, { ...base, error: outcome.message });
    case "error":
      return create(MergeSchema, { ...base, error: outcome.error.rawMessage });
  }
}
