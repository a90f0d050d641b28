import { createHash } from "node:crypto";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join, relative } from "node:path";

export interface TreeFingerprint {
  /** Of every entry's path, kind, size and modification time (symlinks: their target). */
  digest: string;
  files: number;
  bytes: number;
}

/**
 * A cheap fingerprint of a tree (metadata only, no content read): what a cached entry must still
 * match before it is linked into another job. A hard-linked file changed in place by a job has a
 * new mtime (or size), so its entry no longer matches and is rebuilt instead of spreading it.
 */
export async function treeFingerprint(root: string): Promise<TreeFingerprint> {
  const hash = createHash("sha256");
  let files = 0;
  let bytes = 0;
  const top = await lstat(root).catch(() => undefined);
  if (!top) return { digest: "absent", files: 0, bytes: 0 };
  if (!top.isDirectory()) {
    hash.update(`${top.isSymbolicLink() ? `l:${await readlink(root)}` : `f:${top.size}:${top.mtimeMs}`}\n`);
    return { digest: hash.digest("hex"), files: 1, bytes: top.size };
  }
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries.map((entry) => join(entry.parentPath, entry.name)).sort();
  const BATCH = 128;
  for (let at = 0; at < paths.length; at += BATCH) {
    const batch = paths.slice(at, at + BATCH);
    const stats = await Promise.all(batch.map((path) => lstat(path)));
    for (const [index, stat] of stats.entries()) {
      const path = batch[index]!;
      const name = relative(root, path);
      if (stat.isDirectory()) hash.update(`d:${name}\n`);
      else if (stat.isSymbolicLink()) hash.update(`l:${name}:${await readlink(path)}\n`);
      else {
        files += 1;
        bytes += stat.size;
        hash.update(`f:${name}:${stat.size}:${stat.mtimeMs}\n`);
      }
    }
  }
  return { digest: hash.digest("hex"), files, bytes };
}
