import { create } from "@bufbuild/protobuf";
import { ItemStatus, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { GetIntegrationStatusResponseSchema, type GetIntegrationStatusResponse } from "../../../gen/pushpals/v1/integration_pb.js";
import type { QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import type { Config } from "../../../shared/config/schema.js";
import { failedPrecondition } from "../../../shared/errors.js";
import { fromTimestamp } from "../../../shared/time.js";
import { GitError, runGit } from "../git/run-git.js";
import type { QueueClient, SessionClient } from "../worker/clients.js";
import { mergeFromItem } from "./merge-history.js";

const COUNT_PAGE = 500;
/** Completed items looked at for the last merge: ids follow enqueue order, finishing order may differ a little. */
const RECENT_COMPLETED = 50;

/**
 * The integration branch at a glance: its local tip (the integrator sets it to the
 * remote's on every sync and moves it on every merge), completions not yet finished
 * (pending or being integrated, counted through ListItems), the most recently finished
 * merge and the pull request URL it reported.
 */
export async function integrationStatus(config: Config, clients: { queues: QueueClient; sessions: SessionClient }, signal?: AbortSignal): Promise<GetIntegrationStatusResponse> {
  const [headSha, pending, recent] = await Promise.all([
    branchTip(config.repo.path, config.integration.branch, signal),
    countUnfinished(clients.queues, signal),
    clients.queues.listItems({ queue: QueueName.COMPLETIONS, statuses: [ItemStatus.COMPLETED], pageSize: RECENT_COMPLETED }, { signal }),
  ]);
  const byFinish = [...recent.items].sort((a, b) => finishedMs(b) - finishedMs(a));
  const last = byFinish[0];
  const lastMerge = last ? await mergeFromItem(last, clients.sessions, signal) : undefined;
  const prUrl = byFinish.map((item) => (item.result?.kind.case === "completion" ? item.result.kind.value.prUrl : "")).find((url) => url !== "") ?? "";
  return create(GetIntegrationStatusResponseSchema, {
    integrationBranch: config.integration.branch,
    baseBranch: config.repo.baseBranch,
    headSha,
    pendingCompletions: pending,
    lastMerge,
    prUrl,
  });
}

async function countUnfinished(queues: QueueClient, signal?: AbortSignal): Promise<number> {
  let count = 0;
  let pageToken = "";
  do {
    const page = await queues.listItems({ queue: QueueName.COMPLETIONS, statuses: [ItemStatus.PENDING, ItemStatus.CLAIMED], pageSize: COUNT_PAGE, pageToken }, { signal });
    count += page.items.length;
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return count;
}

/** "" while the integration branch does not exist yet (before the first merge). */
async function branchTip(repoPath: string, branch: string, signal?: AbortSignal): Promise<string> {
  try {
    const { stdout } = await runGit(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], { cwd: repoPath, okCodes: [1], signal });
    return stdout.trim();
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw failedPrecondition(`cannot read ${branch} in ${repoPath} (${error.message}); check that repo.path is the repository PushPals integrates into`);
  }
}

function finishedMs(item: QueueItem): number {
  return fromTimestamp(item.finishedAt) ?? 0;
}
