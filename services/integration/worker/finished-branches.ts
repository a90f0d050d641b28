import { Code, ConnectError } from "@connectrpc/connect";
import type { QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { errorMessage } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/log.js";
import type { FinishedBranch } from "../branch-cleanup.js";
import type { QueueClient } from "./clients.js";
import type { Report } from "./report-outcome.js";
import { withRetries } from "./rpc-retry.js";

/** Repair rounds are capped by integration.maxConflictRounds (at most 20); the walk back is too. */
const MAX_REPAIR_CHAIN = 21;

/**
 * The job branches a completion's report lets go of:
 * - merged (or already merged): its own, and those of the conflicted completions a repair
 *   chain led to it from (each conflict kept its branch for the repair job; the repair is in now);
 * - finally failed, refused or cancelled: its own;
 * - anything else keeps them: a retry needs the branch, a conflict's repair job reads it, a
 *   question to the person is about it.
 */
export async function finishedBranches(queues: QueueClient, item: QueueItem, report: Report, log: Logger, signal?: AbortSignal): Promise<FinishedBranch[]> {
  const own = completionBranch(item);
  if (!own) return [];
  if (report.kind === "failed" && report.final) return [own];
  if (report.kind !== "completed") return [];
  try {
    return [own, ...(await repairedBranches(queues, item, signal))];
  } catch (error) {
    log.warn({ err: errorMessage(error) }, "could not look up the conflicted completions this repair replaced; their branches stay");
    return [own];
  }
}

/** Back along the completion's job → its RepairContext's completion → that completion's job → … */
async function repairedBranches(queues: QueueClient, item: QueueItem, signal?: AbortSignal): Promise<FinishedBranch[]> {
  const found: FinishedBranch[] = [];
  let current = item;
  for (let round = 0; round < MAX_REPAIR_CHAIN; round++) {
    const jobId = current.payload?.kind.case === "completion" ? current.payload.kind.value.jobId : "";
    if (!jobId) break;
    const job = await getItem(queues, jobId, signal);
    const repair = job?.payload?.kind.case === "taskExecuteV2" ? job.payload.kind.value.repair : undefined;
    if (!repair?.completionId) break;
    const conflicted = await getItem(queues, repair.completionId, signal);
    const branch = conflicted && completionBranch(conflicted);
    if (!conflicted || !branch) break;
    found.push(branch);
    current = conflicted;
  }
  return found;
}

/** undefined for an item the queue does not know (a completion sent by hand names any job id). */
async function getItem(queues: QueueClient, itemId: string, signal?: AbortSignal): Promise<QueueItem | undefined> {
  try {
    return (await withRetries(() => queues.getItem({ itemId }, { signal }), { signal })).item;
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.NotFound) return undefined;
    throw error;
  }
}

function completionBranch(item: QueueItem): FinishedBranch | undefined {
  const payload = item.payload?.kind;
  if (payload?.case !== "completion" || !payload.value.branch || !payload.value.sha) return undefined;
  return { branch: payload.value.branch, sha: payload.value.sha };
}
