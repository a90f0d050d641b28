import { AutonomyMode, ObjectiveStatus, type GetAutonomyStatusResponse } from "../../../gen/pushpals/v1/autonomy_pb.js";
import { ItemStatus, Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { Clients } from "../../../shared/clients.js";
import type { AutonomySection } from "../../../shared/config/sections/autonomy.js";
import { runHostGit } from "../../../shared/git/host-git.js";
import { fromTimestamp } from "../../../shared/time.js";
import type { GateSnapshot } from "./gates.js";
import { healthOf } from "./health.js";

const FINISHED_COMPLETION = [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.CONFLICTED];

/** What the gates need, read once per pass from the control plane and the repository. */
export async function gateSnapshot(clients: Clients, status: GetAutonomyStatusResponse, config: AutonomySection, repoPath: string, signal: AbortSignal): Promise<GateSnapshot> {
  const call = { signal };
  const [requests, jobs, completions, dirtyPaths] = await Promise.all([
    clients.queues.listItems({ queue: QueueName.REQUESTS, statuses: [ItemStatus.PENDING, ItemStatus.CLAIMED], pageSize: 100 }, call),
    clients.queues.listItems({ queue: QueueName.JOBS, statuses: [ItemStatus.CLAIMED], pageSize: 100 }, call),
    clients.queues.listItems({ queue: QueueName.COMPLETIONS, statuses: FINISHED_COMPLETION, pageSize: 1 }, call),
    config.gates.requireCleanRepo ? uncommittedPaths(repoPath, signal) : Promise.resolve([]),
  ]);
  const state = status.state;
  const last = completions.items[0];
  const consecutiveFailures = state?.consecutiveFailures ?? 0;
  return {
    now: Date.now(),
    mode: state?.mode ?? AutonomyMode.OFF,
    frozenUntil: fromTimestamp(state?.frozenUntil),
    health: healthOf(consecutiveFailures, config.gates.maxConsecutiveFailures),
    consecutiveFailures,
    interactiveRequests: requests.items.filter((item) => item.priority !== Priority.BACKGROUND).length,
    runningJobs: jobs.items.length,
    inFlight: status.objectives.filter((o) => o.status === ObjectiveStatus.DISPATCHED).length,
    dispatchedLastHour: status.dispatchedLastHour,
    tokensToday: Number(status.tokensToday),
    dirtyPaths,
    lastIntegration: last ? { id: last.id, ok: last.status === ItemStatus.COMPLETED, error: last.lastError } : undefined,
  };
}

/** `git status --porcelain` paths, PushPals' own data folder aside. */
async function uncommittedPaths(repoPath: string, signal: AbortSignal): Promise<string[]> {
  const { stdout } = await runHostGit(["status", "--porcelain", "--untracked-files=normal"], { cwd: repoPath, signal });
  return stdout
    .split("\n")
    .map((line) => line.slice(3).trim())
    .filter((path) => path !== "" && !path.startsWith(".pushpals/"));
}
