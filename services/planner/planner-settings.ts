import { randomBytes } from "node:crypto";
import { configuredClaimWaitMs } from "../../shared/claim-wait.js";
import type { Config } from "../../shared/config/schema.js";
import { DEFAULT_REPO_CONTEXT_LIMITS, type RepoContextLimits } from "./repo-context.js";
import { DEFAULT_CONVERSATION_LIMITS, type ConversationLimits } from "./session-context.js";
import { safeHostLabel } from "../../shared/host-label.js";

/** How the planner claims and plans; every field has a default a test may override. */
export interface PlannerSettings {
  /** The worker id the planner claims under (shown as the request's claimed_by). */
  workerId: string;
  /** Lease taken on a request; renewed every third of it while the model thinks. */
  leaseMs: number;
  /** Long-poll of one Claim call (queues.claim_wait_seconds). */
  claimWaitMs: number;
  /** Requests planned at once. */
  concurrency: number;
  /** Per model call. */
  maxTokens: number;
  repoLimits: RepoContextLimits;
  conversationLimits: ConversationLimits;
}

export function plannerSettings(config: Config, overrides: Partial<PlannerSettings> = {}): PlannerSettings {
  return {
    workerId: defaultWorkerId(),
    leaseMs: config.queues.defaultLeaseSeconds * 1000,
    claimWaitMs: configuredClaimWaitMs(config),
    concurrency: 1,
    maxTokens: 4096,
    repoLimits: DEFAULT_REPO_CONTEXT_LIMITS,
    conversationLimits: DEFAULT_CONVERSATION_LIMITS,
    ...overrides,
  };
}

/** Unique per process and safe as a worker id (lower-case a-z 0-9 . _ -, at most 63). */
function defaultWorkerId(): string {
  return `planner.${safeHostLabel(30) || "host"}.${process.pid}.${randomBytes(2).toString("hex")}`;
}
