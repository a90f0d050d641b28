import { createWriteStream } from "node:fs";
import { copyFile, mkdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Extract } from "tar-stream";
import { failedPrecondition } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { isGitPath } from "./git-paths.js";

/** One member of an archive being read: its header and a stream of its content. */
type Entry = Extract extends AsyncIterable<infer Member> ? Member : never;

export interface TreeEntry {
  kind: "directory" | "file" | "symlink";
  /** Permission bits only: set-id and sticky bits from a pod are dropped. */
  mode: number;
  mtime: Date | undefined;
}

export interface UnpackedTree {
  /** The staging directory holding the files. */
  root: string;
  /** Every path (relative, "/"-separated) the archive made, parents included. */
  entries: Map<string, TreeEntry>;
  bytes: number;
}

/**
 * Unpacks a tar that came from a sandbox pod into a fresh staging directory, trusting none of
 * it: absolute names and `..` are refused, nothing is written through a symlink the archive
 * made (a file under a symlinked directory is refused, targets are created exclusively), hard
 * links must name a file already unpacked, special files are skipped, git data is dropped
 * (git-paths.ts), and more than `maxBytes` of file content stops it. A refusal throws before
 * the host's worktree has been touched.
 */
export async function unpackSafely(archive: AsyncIterable<Entry>, root: string, maxBytes: number, logger: Logger): Promise<UnpackedTree> {
  const entries = new Map<string, TreeEntry>();
  let bytes = 0;
  let skipped = 0;

  const ensureParents = async (path: string) => {
    const parts = path.split("/");
    for (let depth = 1; depth < parts.length; depth += 1) {
      const parent = parts.slice(0, depth).join("/");
      const known = entries.get(parent);
      if (known?.kind === "directory") continue;
      if (known) throw unsafe(`"${path}" goes through "${parent}", which the archive made a ${known.kind}`);
      await mkdir(join(root, parent));
      entries.set(parent, { kind: "directory", mode: 0o755, mtime: undefined });
    }
  };

  for await (const entry of archive) {
    const header = entry.header;
    const path = safeRelative(header.name);
    if (path === "" || isGitPath(path) || !["directory", "file", "contiguous-file", "symlink", "link"].includes(header.type ?? "file")) {
      if (path !== "" && !isGitPath(path)) skipped += 1;
      await drain(entry);
      continue;
    }
    await ensureParents(path);
    const target = join(root, path);
    const existing = entries.get(path);
    const mode = (header.mode ?? 0o644) & 0o777;
    if (existing && !(existing.kind === "directory" && header.type === "directory")) {
      await rm(target, { recursive: true, force: true });
      for (const known of [...entries.keys()]) if (known === path || known.startsWith(`${path}/`)) entries.delete(known);
    }
    switch (header.type) {
      case "directory":
        await mkdir(target, { recursive: true });
        entries.set(path, { kind: "directory", mode, mtime: header.mtime });
        await drain(entry);
        break;
      case "symlink":
        await symlink(header.linkname ?? "", target);
        entries.set(path, { kind: "symlink", mode, mtime: header.mtime });
        await drain(entry);
        break;
      case "link": {
        const source = safeRelative(header.linkname ?? "");
        if (entries.get(source)?.kind !== "file") throw unsafe(`hard link "${path}" names "${source}", which is not a file unpacked before it`);
        await copyFile(join(root, source), target);
        entries.set(path, { kind: "file", mode: entries.get(source)!.mode, mtime: header.mtime });
        await drain(entry);
        break;
      }
      default: {
        bytes += header.size ?? 0;
        if (bytes > maxBytes) {
          throw failedPrecondition(`the pod's workspace holds more than ${maxBytes} bytes of files; remove build output or large files in the pod before copying out`);
        }
        await pipeline(entry, createWriteStream(target, { flags: "wx", mode: 0o600 }));
        entries.set(path, { kind: "file", mode, mtime: header.mtime });
      }
    }
  }
  if (skipped > 0) logger.warn({ skipped }, "skipped special files (devices, fifos) in the pod's workspace");
  return { root, entries, bytes };
}

/** "./a/b" → "a/b"; "" for the archive's root; refuses names that leave it. */
export function safeRelative(name: string): string {
  if (name.includes("\0")) throw unsafe(`a name contains a NUL byte`);
  if (name.startsWith("/")) throw unsafe(`"${name}" is absolute`);
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) throw unsafe(`"${name}" leaves the workspace`);
  return parts.join("/");
}

function unsafe(problem: string): Error {
  return failedPrecondition(`refused the pod's workspace archive: ${problem}; nothing was copied to the host (something in the sandbox crafted it: inspect the job's commands)`);
}

async function drain(entry: Entry): Promise<void> {
  for await (const _chunk of entry) {
    // Skipped content still has to be read for the archive to go on.
  }
}
