import { lstat, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "../../shared/log.js";

export interface GitCopy {
  /** Host path: a file or a directory copied whole. */
  host: string;
  /** Its name under the archive's `.git/`. */
  name: string;
}

export interface GitForPod {
  copies: GitCopy[];
  /** A clean config: no remotes, credentials, hooks paths or includes from the host. */
  config: string;
}

/**
 * A self-contained `.git` for the pod, so git works there on the job's state (status, diff,
 * log) although the worktree's own `.git` is a file naming a host directory. Taken from the
 * worktree's admin dir: HEAD and the index; from the repository: objects, refs, packed-refs,
 * shallow. Hooks and the host's config stay out: git credentials never enter the pod.
 * Undefined when the worktree is not a git checkout.
 */
export async function gitForPod(worktree: string, logger: Logger): Promise<GitForPod | undefined> {
  const layout = await gitLayout(worktree);
  if (!layout) return undefined;
  const { adminDir, commonDir } = layout;
  const wanted: GitCopy[] = [
    { host: join(adminDir, "HEAD"), name: "HEAD" },
    { host: join(adminDir, "index"), name: "index" },
    { host: join(commonDir, "objects"), name: "objects" },
    { host: join(commonDir, "refs"), name: "refs" },
    { host: join(commonDir, "packed-refs"), name: "packed-refs" },
    { host: join(commonDir, "shallow"), name: "shallow" },
    { host: join(commonDir, "reftable"), name: "reftable" },
  ];
  const copies: GitCopy[] = [];
  for (const copy of wanted) if (await exists(copy.host)) copies.push(copy);
  if (await exists(join(commonDir, "objects", "info", "alternates"))) {
    logger.warn({ commonDir }, "the repository borrows objects from elsewhere (objects/info/alternates); git in the pod will miss those");
  }
  const hostConfig = await readFile(join(commonDir, "config"), "utf8").catch(() => "");
  return { copies, config: cleanConfig(hostConfig) };
}

/** Relative to the archive's `.git/`: left out of the copied directories. */
export function skippedGitFile(name: string): boolean {
  return name === "objects/info/alternates";
}

async function gitLayout(worktree: string): Promise<{ adminDir: string; commonDir: string } | undefined> {
  const dotGit = join(worktree, ".git");
  const kind = await lstat(dotGit).catch(() => undefined);
  if (kind?.isDirectory()) return { adminDir: dotGit, commonDir: dotGit };
  if (!kind?.isFile()) return undefined;
  const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(await readFile(dotGit, "utf8"));
  if (!pointer?.[1]) return undefined;
  const adminDir = resolve(worktree, pointer[1]);
  const commonDir = await readFile(join(adminDir, "commondir"), "utf8").then(
    (text) => resolve(adminDir, text.trim()),
    () => adminDir,
  );
  return { adminDir, commonDir };
}

/** Keeps only what decides how the data is read: the object format and the ref storage. */
function cleanConfig(hostConfig: string): string {
  const objectFormat = /^\s*objectformat\s*=\s*([A-Za-z0-9-]+)\s*$/im.exec(hostConfig)?.[1];
  const refStorage = /^\s*refstorage\s*=\s*([A-Za-z0-9-]+)\s*$/im.exec(hostConfig)?.[1];
  const extensions = [objectFormat && `\tobjectformat = ${objectFormat}`, refStorage && `\trefstorage = ${refStorage}`].filter(Boolean);
  const lines = ["[core]", `\trepositoryformatversion = ${extensions.length > 0 ? 1 : 0}`, "\tfilemode = true", "\tbare = false"];
  if (extensions.length > 0) lines.push("[extensions]", ...(extensions as string[]));
  return `${lines.join("\n")}\n`;
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
