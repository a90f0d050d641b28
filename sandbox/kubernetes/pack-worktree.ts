import { createReadStream, createWriteStream, type Stats } from "node:fs";
import { lstat, mkdtemp, readdir, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { pack, type Pack } from "tar-stream";
import type { Logger } from "../../shared/log.js";
import { gitForPod, skippedGitFile } from "./git-for-pod.js";
import { isGitPath } from "./git-paths.js";

export interface PackedWorktree {
  /** A tar file on the host. */
  path: string;
  bytes: number;
  entries: number;
  remove(): Promise<void>;
}

/**
 * Tars `hostDir` into a temporary file: every directory, regular file (with its mode, so
 * executable bits survive) and symlink (as a link, never followed), plus a self-contained
 * `.git` (git-for-pod.ts) in place of any git data found. Packing to a file first fixes the
 * archive's size, which the pod side reads exactly (see pod-exec.ts on stdin).
 */
export async function packWorktree(hostDir: string, logger: Logger): Promise<PackedWorktree> {
  const dir = await mkdtemp(join(tmpdir(), "pushpals-k8s-copy-in-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, "worktree.tar");
  try {
    const archive = pack();
    const written = pipeline(archive, createWriteStream(path));
    let entries = 0;
    const add = async (name: string, host: string, info: Stats) => {
      entries += 1;
      await addEntry(archive, name, host, info, logger);
    };
    try {
      await walk(hostDir, "", (name) => isGitPath(name), add);
      const git = await gitForPod(hostDir, logger);
      if (git) {
        await add(".git", hostDir, await stat(hostDir));
        await new Promise<void>((resolve, reject) => archive.entry({ name: ".git/config", mode: 0o644 }, git.config, (error) => (error ? reject(error) : resolve())));
        entries += 1;
        for (const copy of git.copies) {
          const info = await lstat(copy.host);
          const name = `.git/${copy.name}`;
          await add(name, copy.host, info);
          if (info.isDirectory()) await walk(copy.host, name, (inner) => skippedGitFile(inner.slice(".git/".length)), add);
        }
      }
      archive.finalize();
    } catch (error) {
      archive.destroy(error as Error);
      throw error;
    } finally {
      await written.catch(() => undefined);
    }
    await written;
    return { path, bytes: (await stat(path)).size, entries, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Depth first, parents before children; `skip` gets archive names. */
async function walk(hostDir: string, prefix: string, skip: (name: string) => boolean, add: (name: string, host: string, info: Stats) => Promise<void>): Promise<void> {
  const names = (await readdir(hostDir)).sort();
  for (const child of names) {
    const name = prefix === "" ? child : `${prefix}/${child}`;
    if (skip(name)) continue;
    const host = join(hostDir, child);
    const info = await lstat(host);
    await add(name, host, info);
    if (info.isDirectory()) await walk(host, name, skip, add);
  }
}

async function addEntry(archive: Pack, name: string, host: string, info: Stats, logger: Logger): Promise<void> {
  const mode = info.mode & 0o777;
  const mtime = info.mtime;
  if (info.isDirectory()) return entry(archive, { name, type: "directory", mode, mtime });
  if (info.isSymbolicLink()) return entry(archive, { name, type: "symlink", linkname: await readlink(host), mode, mtime });
  if (!info.isFile()) {
    logger.debug({ name }, "not copying a special file (socket, fifo or device) into the pod");
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const sink = archive.entry({ name, type: "file", size: info.size, mode, mtime }, (error) => (error ? reject(error) : resolve()));
    const source = createReadStream(host);
    source.once("error", (error) => {
      sink.destroy(error);
      reject(error);
    });
    source.pipe(sink);
  });
}

function entry(archive: Pack, header: Parameters<Pack["entry"]>[0]): Promise<void> {
  return new Promise((resolve, reject) => archive.entry(header, (error) => (error ? reject(error) : resolve())));
}
