import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { claimCallOptions } from "../../shared/claim-wait.js";
import { errorMessage } from "../../shared/errors.js";
import { inItemSpan } from "../../shared/telemetry/item-span.js";
import { durationFromMs, sleep } from "../../shared/time.js";
import { planClaimedRequest } from "./plan-request.js";
import type { PlannerDeps } from "./planner-deps.js";

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * Claims requests until `signal` aborts: a long-poll Claim (woken by the bus on enqueue), then
 * the request planned to its end, then the next. `concurrency` loops share the queue.
 */
export async function runClaimLoops(deps: PlannerDeps, signal: AbortSignal): Promise<void> {
  const { concurrency } = deps.settings;
  // deps.logger carries the worker id already.
  deps.logger.info({ concurrency }, "planner claiming requests");
  await Promise.all(Array.from({ length: concurrency }, () => claimLoop(deps, signal)));
  deps.logger.info("planner stopped");
}

async function claimLoop(deps: PlannerDeps, signal: AbortSignal): Promise<void> {
  const { clients, settings, logger } = deps;
  let retryMs = RETRY_MIN_MS;
  while (!signal.aborted) {
    let claimed;
    try {
      claimed = await clients.queues.claim(
        { queue: QueueName.REQUESTS, workerId: settings.workerId, leaseDuration: durationFromMs(settings.leaseMs), wait: durationFromMs(settings.claimWaitMs) },
        claimCallOptions(settings.claimWaitMs, signal),
      );
      retryMs = RETRY_MIN_MS;
    } catch (error) {
      if (signal.aborted) return;
      // The control plane restarting is normal under the supervisor: wait, with a capped backoff.
      logger.warn({ err: errorMessage(error), retryInMs: retryMs }, "claiming a request failed; trying again");
      await sleep(retryMs, signal);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      continue;
    }
    const item = claimed.item;
    if (item) await inItemSpan("planner", item, () => planClaimedRequest(deps, { item, leaseToken: claimed.leaseToken }, signal));
  }
}
