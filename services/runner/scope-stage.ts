import type { WriteScope } from "../../gen/pushpals/v1/task_pb.js";
import type { ChangePolicy } from "../../shared/policy/index.js";
import { inspectChanges, stageChanges, stagedDrift, type JobWorkspace, type StagedChanges } from "./workspace/index.js";
import { JobFailure } from "./job-failure.js";
import { checkChange } from "./scope-check.js";

/**
 * The job's change, checked before it is staged: the worktree is inspected (paths, kinds, sizes,
 * link targets) and held against the operator's policy and then the plan's scope; only a change
 * that passes is staged, so a refused file never reaches .git/objects. The staged tree must then
 * be what was inspected. Either failure is final: running the job again makes the same change.
 */
export async function stageCheckedChange(workspace: JobWorkspace, policy: ChangePolicy, scope: WriteScope | undefined, signal?: AbortSignal): Promise<StagedChanges> {
  const inspected = await inspectChanges(workspace, signal);
  const verdict = checkChange(inspected, policy, scope);
  if (!verdict.ok) throw new JobFailure(verdict.message, "final");
  const staged = await stageChanges(workspace, signal);
  const drift = stagedDrift(staged, inspected);
  if (drift) throw new JobFailure(drift, "final");
  return staged;
}
