import { ItemStatus, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { ObjectiveOutcome, ObjectiveStatus, type Objective } from "../../../gen/pushpals/v1/autonomy_pb.js";
import type { Clients } from "../../../shared/clients.js";
import { runHostGit } from "../../../shared/git/host-git.js";
import { fromTimestamp } from "../../../shared/time.js";

/** Merged objectives younger than this are watched for a revert. */
const WATCH_MS = 14 * 86_400_000;

/**
 * A merged objective whose commit a later `git revert` undid on the integration branch
 * ("This reverts commit <sha>.") was not a success after all: its outcome becomes reverted.
 * Returns the objectives marked.
 */
export async function markReverts(
  deps: { clients: Clients; repoPath: string; integrationBranch: string; holder: string; priorAlpha: number },
  objectives: Objective[],
  signal: AbortSignal,
): Promise<Objective[]> {
  const now = Date.now();
  const watched = objectives.filter((o) => o.status === ObjectiveStatus.FINISHED && o.outcome === ObjectiveOutcome.MERGED && now - (fromTimestamp(o.finishedAt) ?? 0) < WATCH_MS);
  const marked: Objective[] = [];
  for (const objective of watched) {
    const { items } = await deps.clients.queues.listItems({ queue: QueueName.COMPLETIONS, statuses: [ItemStatus.COMPLETED], sessionId: objective.sessionId }, { signal });
    for (const item of items) {
      const mergedSha = item.result?.kind.case === "completion" ? item.result.kind.value.mergedSha : "";
      if (!mergedSha) continue;
      const log = await runHostGit(["log", "--format=%H", "-F", `--grep=This reverts commit ${mergedSha}`, deps.integrationBranch, "--"], {
        cwd: deps.repoPath,
        signal,
        okCodes: [128],
      });
      const revertSha = log.exitCode === 0 ? log.stdout.trim().split("\n")[0] : undefined;
      if (!revertSha) continue;
      const { objective: updated } = await deps.clients.autonomy.markObjectiveReverted(
        { holder: deps.holder, objectiveId: objective.id, revertSha, priorAlpha: deps.priorAlpha },
        { signal },
      );
      if (updated) marked.push(updated);
      break;
    }
  }
  return marked;
}
