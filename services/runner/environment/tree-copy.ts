import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * How a cached tree reaches a job's worktree. reflink: a copy-on-write clone (btrfs, xfs): each
 * job writes its own blocks. hardlink: the files are shared with the cache (ext4 has no reflink);
 * a file a job changes in place changes the cache's too, which the entry's fingerprint catches
 * (see dependency-cache.ts). Tools that rewrite (npm, pip) unlink and recreate, sparing the cache.
 */
export type CopyMethod = "reflink" | "hardlink";

/** Whether `dir`'s filesystem clones files (cp --reflink=always works there). */
export async function probeCopyMethod(dir: string): Promise<CopyMethod> {
  await mkdir(dir, { recursive: true });
  const probe = join(dir, `.reflink-probe-${randomBytes(4).toString("hex")}`);
  try {
    await writeFile(probe, "probe");
    await run("cp", ["--reflink=always", probe, `${probe}.clone`]);
    return "reflink";
  } catch {
    return "hardlink";
  } finally {
    await rm(probe, { force: true });
    await rm(`${probe}.clone`, { force: true });
  }
}

/** A full, independent copy (reflinked where the filesystem can): what the cache keeps of a job's tree. */
export async function copyTree(source: string, target: string, signal?: AbortSignal): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await run("cp", ["-a", "--reflink=auto", "--", source, target], { ...(signal ? { signal } : {}), maxBuffer: 1024 * 1024 });
}

/** The cache's tree into a worktree: cloned, or hard-linked (-a keeps modes, times and symlinks). */
export async function restoreTree(method: CopyMethod, source: string, target: string, signal?: AbortSignal): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await rm(target, { recursive: true, force: true });
  const mode = method === "reflink" ? "--reflink=always" : "--link";
  await run("cp", ["-a", mode, "--", source, target], { ...(signal ? { signal } : {}), maxBuffer: 1024 * 1024 });
}
