import { kindOfGitMode, parseRawDiff, type ChangeEntry, type EntryKind } from "../../../shared/policy/index.js";
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
  /** What each changed path is in the staged tree. */
  kinds: ReadonlyMap<string, EntryKind>;
}

const STATUS: Record<string, ChangeStatus> = { A: "added", M: "modified", D: "deleted", T: "type_changed" };

/**
 * Stages everything in the worktree (new, changed and deleted files; .gitignore'd ones stay out)
 * and lists what differs from the base commit. Compared with the base, not with HEAD, so commits
 * a command made itself (possible without isolation) are part of the change too. Runs only
 * after inspectChanges' entries passed the policy: staging hashes every file into .git/objects.
 */
export async function stageChanges(workspace: JobWorkspace, signal?: AbortSignal): Promise<StagedChanges> {
  const { git, args } = worktreeGit(workspace, signal ? { signal } : {});
  await git.raw(args("add", "--all", "--", "."));
  const tree = (await git.raw(args("write-tree"))).trim();
  const listing = parseRawDiff(await git.raw(args("diff-tree", "-r", "-z", "--no-renames", "--raw", workspace.baseSha, tree)));
  return {
    tree,
    changes: listing.map((entry) => ({ path: entry.path, status: STATUS[entry.status] ?? "modified" })),
    kinds: new Map(listing.map((entry) => [entry.path, kindOfGitMode(entry.mode)])),
  };
}

/**
 * Why the staged tree is not what was inspected (a path nobody inspected, or one that turned
 * from a file into a link), or undefined when it is. Either means something still ran in the
 * worktree between the inspection and `git add`.
 */
export function stagedDrift(staged: StagedChanges, inspected: readonly ChangeEntry[]): string | undefined {
  const seen = new Map(inspected.map((entry) => [entry.path, shape(entry.kind)]));
  const drifted = [...staged.kinds]
    .filter(([path, kind]) => seen.get(path) !== shape(kind))
    .map(([path, kind]) => `${path} (${seen.has(path) ? `inspected as ${seen.get(path)}` : "not inspected"}, staged as ${shape(kind)})`);
  if (drifted.length === 0) return undefined;
  return (
    `the worktree changed while it was being staged: ${drifted.slice(0, 20).join(", ")}${drifted.length > 20 ? ` and ${drifted.length - 20} more` : ""}. ` +
    `Nothing was committed; something still ran in the worktree after the sandbox stopped — run the job again`
  );
}

/** Executable bits are the repository's core.fileMode business, not a change of what the path is. */
function shape(kind: EntryKind): string {
  return kind === "executable" ? "regular" : kind;
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
