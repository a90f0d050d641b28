import { Code, ConnectError } from "@connectrpc/connect";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { MergeOutcome, type GetIntegrationStatusResponse } from "../../gen/pushpals/v1/integration_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import type { QueueDepth } from "../../gen/pushpals/v1/system_pb.js";
import type { Clients } from "../../shared/clients.js";
import { errorMessage } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { durationFromMs, fromTimestamp } from "../../shared/time.js";
import { aboutDuration, positionText } from "./wait-text.js";
import { oneLine } from "../../shared/text/clip.js";

const LISTED = 5;
/** The integration service may not run at all (or not yet); its answer is worth this long. */
const INTEGRATION_TIMEOUT_MS = 2000;
const ABSENT = new Set([Code.Unimplemented, Code.Unavailable, Code.NotFound, Code.DeadlineExceeded]);

/** The answer to "what is going on?": running jobs, this session's waiting work, queues, last merge. */
export async function statusReply(clients: Clients, sessionId: string, signal: AbortSignal, logger: Logger, now = Date.now()): Promise<string> {
  const open = [ItemStatus.PENDING, ItemStatus.CLAIMED];
  const [system, requests, sessionJobs, running, integration] = await Promise.all([
    clients.system.getSystemStatus({}, { signal }),
    clients.queues.listItems({ queue: QueueName.REQUESTS, sessionId, statuses: open, pageSize: LISTED }, { signal }),
    clients.queues.listItems({ queue: QueueName.JOBS, sessionId, statuses: [ItemStatus.PENDING], pageSize: LISTED }, { signal }),
    clients.queues.listItems({ queue: QueueName.JOBS, statuses: [ItemStatus.CLAIMED], pageSize: LISTED }, { signal }),
    integrationStatus(clients, signal, logger),
  ]);
  return [
    runningLine(running.items, now),
    yourWorkLine([...requests.items, ...sessionJobs.items]),
    queuesLine(system.queues, system.workersOnline),
    mergeLine(integration, now),
  ].join("\n");
}

async function integrationStatus(clients: Clients, signal: AbortSignal, logger: Logger): Promise<GetIntegrationStatusResponse | string> {
  try {
    return await clients.integration.getIntegrationStatus({}, { signal, timeoutMs: INTEGRATION_TIMEOUT_MS });
  } catch (error) {
    if (signal.aborted || !(error instanceof ConnectError) || !ABSENT.has(error.code)) throw error;
    logger.debug({ err: errorMessage(error) }, "integration service not answering; status without the last merge");
    return error.code === Code.Unimplemented ? "the integration service is not running here" : "the integration service is not answering";
  }
}

function runningLine(jobs: QueueItem[], now: number): string {
  if (jobs.length === 0) return "Running: nothing.";
  const lines = jobs.map((job) => `  ${job.id} on ${job.claimedBy || "a worker"} for ${sinceText(fromTimestamp(job.claimedAt), now)}: ${taskText(job)}`);
  return [`Running: ${jobs.length === LISTED ? `${LISTED}+` : jobs.length} job${jobs.length === 1 ? "" : "s"}`, ...lines].join("\n");
}

function yourWorkLine(items: QueueItem[]): string {
  if (items.length === 0) return "Your requests: none waiting.";
  const lines = items.map((item) => {
    const what = item.id.startsWith("req_") ? "request" : "job";
    if (item.status === ItemStatus.CLAIMED) return `  ${what} ${item.id}: being planned by ${item.claimedBy}`;
    return `  ${what} ${item.id}: waiting, ${positionText(item.position, what === "request" ? "planned" : "started")}`;
  });
  return ["Your requests:", ...lines].join("\n");
}

function queuesLine(depths: QueueDepth[], workersOnline: number): string {
  const parts = depths.map((depth) => {
    const waiting = depth.pendingInteractive + depth.pendingNormal + depth.pendingBackground;
    const name = (QueueName[depth.queue] ?? "queue").toLowerCase();
    return `${name} ${waiting} waiting, ${depth.claimed} in progress${depth.deadLetter ? `, ${depth.deadLetter} dead-lettered` : ""}`;
  });
  return `Queues: ${parts.join("; ") || "empty"}. Workers online: ${workersOnline}.`;
}

function mergeLine(integration: GetIntegrationStatusResponse | string, now: number): string {
  if (typeof integration === "string") return `Last merge: unknown (${integration}).`;
  const merge = integration.lastMerge;
  if (!merge) return `Last merge: none yet into ${integration.integrationBranch || "the integration branch"}.`;
  const outcome = (MergeOutcome[merge.outcome] ?? "unknown").toLowerCase().replace("_", " ");
  const sha = merge.sha ? ` ${merge.sha.slice(0, 12)}` : "";
  const pr = merge.prUrl || integration.prUrl;
  return `Last merge: job ${merge.jobId} ${outcome}${sha} into ${integration.integrationBranch}, ${sinceText(fromTimestamp(merge.finishedAt), now)} ago${pr ? ` (${pr})` : ""}.`;
}

function taskText(job: QueueItem): string {
  const text = job.payload?.kind.case === "taskExecuteV2" ? job.payload.kind.value.instruction : "";
  return oneLine(text, 80) || "(no instruction)";
}

function sinceText(ms: number | undefined, now: number): string {
  if (ms === undefined) return "a while";
  return aboutDuration(durationFromMs(Math.max(0, now - ms))).replace(/^about /, "");
}
