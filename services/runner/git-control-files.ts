import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * What one path was: a regular file (size, mode, digest, and its bytes when kept for a restore),
 * a symbolic link (its target; never followed), a directory, or anything else (a FIFO, a socket:
 * never opened, a read could block for ever).
 */
type Entry =
  | { kind: "file"; size: number; mode: number; digest: string; content?: Buffer }
  | { kind: "link"; target: string }
  | { kind: "dir" }
  | { kind: "special"; mode: number };

/** Every guarded path that exists, directories walked; a path missing from it did not exist. */
export type Snapshot = ReadonlyMap<string, Entry>;

/**
 * The files through which a repository's git can be made to run programs or change what is
 * merged, in its common git dir: config (core.fsmonitor, core.hooksPath, filters, aliases,
 * credential helpers), config.worktree, hooks, and info (attributes name filter and diff
 * drivers, exclude decides what `git add` leaves out; walked whole, so no part of it is read
 * through a link a job put in its place).
 */
export function commonControlFiles(commonDir: string): string[] {
  return ["config", "config.worktree", "hooks", "info"].map((path) => join(commonDir, path));
}

/** A linked worktree's own: its config.worktree, and commondir (which repository its git commands act on). */
export function worktreeControlFiles(gitDir: string): string[] {
  return ["config.worktree", "commondir"].map((path) => join(gitDir, path));
}

/** `keepContent`: keep each file's bytes, so the snapshot can be restored (taken before a job, when the files are small and trusted). */
export async function snapshot(paths: readonly string[], { keepContent }: { keepContent: boolean }): Promise<Snapshot> {
  const entries = new Map<string, Entry>();
  const visit = async (path: string): Promise<void> => {
    const stat = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw error;
    });
    if (!stat) return;
    if (stat.isSymbolicLink()) entries.set(path, { kind: "link", target: await readlink(path) });
    else if (stat.isDirectory()) {
      entries.set(path, { kind: "dir" });
      for (const name of (await readdir(path)).sort()) await visit(join(path, name));
    } else if (stat.isFile()) {
      const mode = stat.mode & 0o7777;
      if (keepContent) {
        const content = await readFile(path);
        entries.set(path, { kind: "file", size: content.length, mode, digest: createHash("sha256").update(content).digest("hex"), content });
      } else {
        // Streamed: a file a job planted may be huge.
        entries.set(path, { kind: "file", size: stat.size, mode, digest: await digestOf(path) });
      }
    } else entries.set(path, { kind: "special", mode: stat.mode });
  };
  for (const path of paths) await visit(path);
  return entries;
}

/** The paths whose entry differs between the two snapshots (added, removed or changed), parents before children. */
export function changedPaths(before: Snapshot, after: Snapshot): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((path) => !sameEntry(before.get(path), after.get(path))).sort();
}

/** Puts each of `paths` back as `before` (taken with keepContent) had it: what was added is removed, what was changed or removed is written again. */
export async function restore(before: Snapshot, paths: readonly string[]): Promise<void> {
  // Sorted, a directory comes before what is in it: it is put back (or removed) first, so
  // nothing is written through a link that stood in its place.
  for (const path of [...paths].sort()) {
    const entry = before.get(path);
    await rm(path, { recursive: true, force: true });
    if (!entry || entry.kind === "special") continue;
    if (entry.kind === "dir") await mkdir(path, { recursive: true });
    else if (entry.kind === "link") await symlink(entry.target, path);
    else {
      if (!entry.content) throw new Error(`the snapshot of ${path} kept no content to restore it from`);
      await writeFile(path, entry.content, { mode: entry.mode });
      await chmod(path, entry.mode); // writeFile's mode is trimmed by the umask
    }
  }
}

function sameEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.kind === "file" && b.kind === "file") return a.mode === b.mode && a.size === b.size && a.digest === b.digest;
  if (a.kind === "link" && b.kind === "link") return a.target === b.target;
  if (a.kind === "special" && b.kind === "special") return a.mode === b.mode;
  return a.kind === b.kind;
}

async function digestOf(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
