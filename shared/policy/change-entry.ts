/**
 * One path a change touches, as both front ends see it: the runner from the worktree before
 * anything is staged, integration from the commits it is asked to merge.
 */
export interface ChangeEntry {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  kind: EntryKind;
  /** Bytes of the new content (a symlink's: its target); 0 when deleted, a gitlink or special. */
  size: number;
  /** A symlink's target as stored; "" when unreadable or longer than any real target. */
  linkTarget?: string;
}

/**
 * What the path is after the change. `gitlink`: a submodule entry (git mode 160000), or a
 * directory in the worktree git would record as one (a nested repository). `special`: a fifo,
 * socket or device, which git cannot store.
 */
export type EntryKind = "regular" | "executable" | "symlink" | "gitlink" | "deleted" | "special";

/** A git tree mode (as diff-tree --raw prints it) as an entry kind. */
export function kindOfGitMode(mode: string): EntryKind {
  switch (mode) {
    case "000000":
      return "deleted";
    case "100755":
      return "executable";
    case "120000":
      return "symlink";
    case "160000":
      return "gitlink";
    case "100644":
    case "100664": // old git wrote group-writable blobs; git reads them as 100644
      return "regular";
    default:
      return "special";
  }
}
