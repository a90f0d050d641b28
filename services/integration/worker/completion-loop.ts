import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { claimCallOptions } from "../../../shared/claim-wait.js";
import { errorMessage } from "../../../shared/errors.js";
import { inItemSpan } from "../../../shared/telemetry/item-span.js";
import { durationFromMs, sleep } from "../../../shared/time.js";
import { claimedFrom, processCompletion, type ProcessDeps } from "./process-completion.js";
import { isTransient } from "./rpc-retry.js";

export interface CompletionLoopDeps extends ProcessDeps {
  /** Who claims (shown as the completion's claimed_by). */
  workerId: string;
  /** Long-poll per Claim call (queues.claim_wait_seconds); the bus wakes it as soon as a completion arrives. */
  claimWaitMs: number;
}

const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 10_000;

/**
 * Claims completions one at a time with a lease (long-poll, woken by the bus) and
 * integrates each until `signal` aborts. A control plane that cannot be reached is
 * waited out with capped backoff (an item held meanwhile comes back when its lease
 * expires); any other error ends the loop so the supervisor restarts the service.
 */
export async function runCompletionLoop(deps: CompletionLoopDeps, signal: AbortSignal): Promise<void> {
  const log = deps.log.child({ workerId: deps.workerId });
  const waitMs = deps.claimWaitMs;
  let failures = 0;
  log.info({ leaseMs: deps.leaseMs, maxConflictRounds: deps.maxConflictRounds }, "integration worker claiming completions");
  while (!signal.aborted) {
    try {
      const response = await deps.queues.claim(
        { queue: QueueName.COMPLETIONS, workerId: deps.workerId, leaseDuration: durationFromMs(deps.leaseMs), wait: durationFromMs(waitMs) },
        claimCallOptions(waitMs, signal),
      );
      const claimed = claimedFrom(response, deps.leaseMs);
      if (claimed) await inItemSpan("integration", claimed.item, () => processCompletion(deps, claimed, signal));
      failures = 0;
    } catch (error) {
      if (signal.aborted) break;
      if (!isTransient(error)) throw error;
      failures++;
      const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
      log.warn({ err: errorMessage(error), failures, retryInMs: delayMs }, "control plane unreachable; retrying (check that the control plane is running at its URL)");
      await sleep(delayMs, signal);
    }
  }
  log.info("integration worker stopped");
}
