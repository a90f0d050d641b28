/** One path of `git diff-tree` / `git diff-index -z --raw --no-renames` output. */
export interface RawDiffEntry {
  path: string;
  /** The new side's mode (000000: deleted) and object id. */
  mode: string;
  oid: string;
  /** A (added), M (modified), D (deleted), T (type changed). */
  status: string;
}

/**
 * ":srcMode dstMode srcOid dstOid S" NUL path NUL, …; other fields (the commit ids diff-tree
 * --stdin prints before each commit's entries) are skipped. The field after a meta field is
 * always its path, so a path that looks like a commit id is still read as a path.
 */
export function parseRawDiff(listing: string): RawDiffEntry[] {
  const fields = listing.split("\0");
  const entries: RawDiffEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i++) {
    const meta = fields[i]!;
    if (!meta.startsWith(":")) continue;
    const [, mode = "", , oid = "", status = ""] = meta.slice(1).split(" ");
    entries.push({ path: fields[++i]!, mode, oid, status: status.charAt(0) });
  }
  return entries;
}
