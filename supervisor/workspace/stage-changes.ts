import type { JobWorkspace } from "./job-workspace.js";
import { worktreeGit } from "./worktree-git.js";

export type ChangeStatus = "added" | "modified" | "deleted" | "type_changed";

export interface FileChange {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  status: ChangeStatus;
}

export interface StagedChanges {
  /** The tree of the worktree as it stands (ignored files left out). */
  tree: string;
  /** Every path that differs from the base; a rename is a deletion and an addition. */
  changes: FileChange[];
}

const STATUS: Record<string, ChangeStatus> = { A: "added", M: "modified", D: "deleted", T: "type_changed" };

/**
 * Stages everything in the worktree (new, changed and deleted files; .gitignore'd ones stay out)
 * and lists what differs from the base commit. Compared with the base, not with HEAD, so commits
 * a command made itself (possible without isolation) are part of the change too.
 */
export async function stageChanges(workspace: JobWorkspace, signal?: AbortSignal): Promise<StagedChanges> {
  const { git, args } = worktreeGit(workspace, signal ? { signal } : {});
  await git.raw(args("add", "--all", "--", "."));
  const tree = (await git.raw(args("write-tree"))).trim();
  const listing = await git.raw(args("diff-tree", "-r", "-z", "--no-renames", "--name-status", workspace.baseSha, tree));
  return { tree, changes: parseNameStatus(listing) };
}

/** `diff-tree -z --name-status` output: status, NUL, path, NUL, … */
export function parseNameStatus(listing: string): FileChange[] {
  const fields = listing.split("\0");
  const changes: FileChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const code = fields[i]!.trim();
    const path = fields[i + 1]!;
    if (!code || !path) continue;
    changes.push({ path, status: STATUS[code[0]!] ?? "modified" });
  }
  return changes;
}
