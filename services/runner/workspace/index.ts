/** Job worktrees: made per job, staged and committed outside the sandbox, removed afterwards, swept after a crash. */
export { createWorktree, resolveBase, type WorktreeRequest } from "./create-worktree.js";
export { removeWorktree } from "./remove-worktree.js";
export { sweepWorktrees } from "./sweep-worktrees.js";
export { parseNameStatus, stageChanges, stagedDrift, type FileChange, type StagedChanges, type ChangeStatus } from "./stage-changes.js";
export { inspectChanges, parseStatus } from "./inspect-changes.js";
export { commitTree, diffOf, type CommitIdentity, type CommitMessage } from "./commit-changes.js";
export { jobBranch, jobWorktree, workerWorktrees } from "./paths.js";
export type { JobWorkspace } from "./job-workspace.js";
export { WorkspaceError } from "./workspace-error.js";
export { worktreePool, type WorktreePool, type WorktreePoolOptions } from "./worktree-pool.js";
export { chooseStartPoint, type StartPoint, type StartPointOptions } from "./start-point.js";
