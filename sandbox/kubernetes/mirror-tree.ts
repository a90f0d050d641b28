import { chmod, copyFile, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from "node:fs/promises";
import { join } from "node:path";
import { isGitPath } from "./git-paths.js";
import type { UnpackedTree } from "./unpack-safely.js";

export interface MirrorStats {
  written: number;
  removed: number;
}

/**
 * Makes `hostDir` hold exactly what the staged tree holds, git data aside: parents first, each
 * path made the kind the tree says (a symlink on the host is replaced, never written through),
 * then whatever the tree lacks is removed, so files deleted in the pod are deleted here.
 */
export async function mirrorTree(tree: UnpackedTree, hostDir: string): Promise<MirrorStats> {
  const stats: MirrorStats = { written: 0, removed: 0 };
  const paths = [...tree.entries.keys()].sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : a > b ? 1 : 0));
  for (const path of paths) {
    const wanted = tree.entries.get(path)!;
    const target = join(hostDir, path);
    const current = await lstat(target).catch(() => undefined);
    // A directory stays (its contents are mirrored too); anything else is replaced by a fresh
    // inode, so a host file's other hard links never see the pod's content.
    const keep = wanted.kind === "directory" && current?.isDirectory() === true;
    if (current && !keep) await rm(target, { recursive: true, force: true });
    switch (wanted.kind) {
      case "directory":
        if (!keep) await mkdir(target);
        await chmod(target, wanted.mode | 0o700);
        break;
      case "file":
        await copyFile(join(tree.root, path), target);
        await chmod(target, wanted.mode);
        if (wanted.mtime) await utimes(target, wanted.mtime, wanted.mtime);
        stats.written += 1;
        break;
      case "symlink":
        await symlink(await readlink(join(tree.root, path)), target);
        stats.written += 1;
        break;
    }
  }
  stats.removed = await removeMissing(tree, hostDir, "");
  return stats;
}

async function removeMissing(tree: UnpackedTree, hostDir: string, prefix: string): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(join(hostDir, prefix), { withFileTypes: true })) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (isGitPath(path)) continue;
    const wanted = tree.entries.get(path);
    if (!wanted) {
      await rm(join(hostDir, path), { recursive: true, force: true });
      removed += 1;
    } else if (wanted.kind === "directory" && entry.isDirectory()) {
      removed += await removeMissing(tree, hostDir, path);
    }
  }
  return removed;
}
