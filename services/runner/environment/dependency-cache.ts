import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { z } from "zod";
import type { Logger } from "../../../shared/log.js";
import { ENVIRONMENT_HOME } from "./job-environment.js";
import { copyTree, probeCopyMethod, restoreTree, type CopyMethod } from "./tree-copy.js";
import { treeFingerprint } from "./tree-fingerprint.js";

const manifestSchema = z.object({
  key: z.string(),
  paths: z.array(z.object({ path: z.string(), present: z.boolean(), digest: z.string(), files: z.number(), bytes: z.number() })),
  createdAt: z.string(),
});
type Manifest = z.infer<typeof manifestSchema>;

export interface CacheRestore {
  /** The cache paths brought into the worktree (those setup had made). */
  paths: string[];
  files: number;
  bytes: number;
  method: CopyMethod;
  /** Whether a copy linked ahead of time (after the last save or restore) was moved in, instead of linking now. */
  prepared: boolean;
  ms: number;
}

export interface DependencyCache {
  /** The entry's trees linked into the worktree; undefined when there is none (or it was spoiled and is dropped). */
  restore(key: string, worktree: string, cache: readonly string[], signal?: AbortSignal): Promise<CacheRestore | undefined>;
  /** Keeps the worktree's cache paths as the entry for `key` (a copy, so the job cannot change it afterwards). */
  save(key: string, worktree: string, cache: readonly string[], signal?: AbortSignal): Promise<{ files: number; bytes: number; ms: number }>;
  /** Waits for the copies being prepared in the background (at the runner's shutdown). */
  close(): Promise<void>;
}

/** Where a cache path lives in a worktree on the host: ~/x under the environment's home. */
export function hostCachePath(worktree: string, path: string): string {
  const relative = path.startsWith("~/") ? join(ENVIRONMENT_HOME, path.slice(2)) : path;
  return join(worktree, relative.replace(/\/+$/, ""));
}

/**
 * Ready environments under <workDir>/environments/<key>: each cache path's tree as setup left
 * it, and a manifest with their fingerprints. An entry appears whole or not at all (made under a
 * temporary name, then renamed); two jobs saving the same key at once keep the first.
 */
export function dependencyCache(root: string, logger: Logger): DependencyCache {
  let method: Promise<CopyMethod> | undefined;
  const copyMethod = () => (method ??= probeCopyMethod(root));
  const entryDir = (key: string) => join(root, key);
  const preparing = new Map<string, Promise<void>>();

  /**
   * Links the next job's copy of an entry now, off the jobs' path, so taking it is one rename per
   * cache path whatever the tree's size (linking 10,000 files costs seconds on a loaded machine,
   * see bench/RESULTS.md). One ready copy per entry; a claimed one is replaced after the restore.
   */
  const prepareSpare = (key: string, manifest: Manifest) => {
    if (preparing.has(key)) return;
    const work = (async () => {
      const spares = join(entryDir(key), "spares");
      if ((await readySpares(spares)).length > 0) return;
      const how = await copyMethod();
      const staging = join(spares, `.preparing-${randomBytes(4).toString("hex")}`);
      try {
        for (const [index, entry] of manifest.paths.entries()) {
          if (entry.present) await restoreTree(how, join(entryDir(key), "paths", String(index)), join(staging, String(index)));
        }
        await mkdir(staging, { recursive: true });
        await rename(staging, join(spares, randomBytes(4).toString("hex")));
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    })()
      .catch((error: unknown) => logger.debug({ err: error, key }, "could not prepare the next copy of a cached environment; the next job links its own"))
      .finally(() => preparing.delete(key));
    preparing.set(key, work);
  };

  return {
    async restore(key, worktree, cache, signal) {
      const started = performance.now();
      const manifest = await readManifest(entryDir(key));
      if (!manifest || manifest.paths.map((entry) => entry.path).join("\0") !== cache.join("\0")) return undefined;
      const how = await copyMethod();
      const present = [...manifest.paths.entries()].filter(([, entry]) => entry.present);
      for (const [index, entry] of present) {
        // Linked files are shared: one a job changed in place spoils the entry (and its ready copy) for everyone after.
        if (how === "hardlink" && (await treeFingerprint(join(entryDir(key), "paths", String(index)), signal)).digest !== entry.digest) {
          logger.warn({ key, path: entry.path }, "a cached environment was changed since it was saved (a job wrote into a linked file); dropping it, setup runs again");
          await preparing.get(key);
          await rm(entryDir(key), { recursive: true, force: true });
          return undefined;
        }
      }
      const spare = await claimSpare(join(entryDir(key), "spares"));
      let files = 0;
      let bytes = 0;
      for (const [index, entry] of present) {
        const target = await insideWorktree(worktree, entry.path);
        const stored = join(entryDir(key), "paths", String(index));
        if (spare) await moveInto(join(spare, String(index)), target, () => restoreTree(how, stored, target, signal));
        else await restoreTree(how, stored, target, signal);
        files += entry.files;
        bytes += entry.bytes;
      }
      if (spare) await rm(spare, { recursive: true, force: true });
      prepareSpare(key, manifest);
      return { paths: present.map(([, entry]) => entry.path), files, bytes, method: how, prepared: spare !== undefined, ms: Math.round(performance.now() - started) };
    },

    async close() {
      await Promise.all(preparing.values());
    },

    async save(key, worktree, cache, signal) {
      const started = performance.now();
      await mkdir(root, { recursive: true });
      const staging = join(root, `.${key}.${randomBytes(4).toString("hex")}.tmp`);
      try {
        const paths: Manifest["paths"] = [];
        for (const [index, path] of cache.entries()) {
          const source = await insideWorktree(worktree, path);
          if (!(await lstat(source).catch(() => undefined))) {
            paths.push({ path, present: false, digest: "absent", files: 0, bytes: 0 });
            continue;
          }
          const stored = join(staging, "paths", String(index));
          await copyTree(source, stored, signal);
          paths.push({ path, present: true, ...(await treeFingerprint(stored)) });
        }
        const manifest: Manifest = { key, paths, createdAt: new Date().toISOString() };
        await writeFile(join(staging, "manifest.json"), JSON.stringify(manifest, null, 2));
        await rename(staging, entryDir(key)).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
          logger.debug({ key }, "another job saved this environment first; keeping theirs");
        });
        prepareSpare(key, manifest);
        return {
          files: paths.reduce((sum, entry) => sum + entry.files, 0),
          bytes: paths.reduce((sum, entry) => sum + entry.bytes, 0),
          ms: Math.round(performance.now() - started),
        };
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    },
  };
}

/** Ready copies of an entry (those being prepared start with a dot). */
async function readySpares(spares: string): Promise<string[]> {
  return (await readdir(spares).catch(() => [] as string[])).filter((name) => !name.startsWith("."));
}

/** Takes a ready copy for this restore alone: the rename succeeds for one claimer only. */
async function claimSpare(spares: string): Promise<string | undefined> {
  for (const name of await readySpares(spares)) {
    const claimed = join(spares, `.claimed-${randomBytes(4).toString("hex")}`);
    if (
      await rename(join(spares, name), claimed).then(
        () => true,
        () => false,
      )
    )
      return claimed;
  }
  return undefined;
}

/** A rename into the worktree; across filesystems (a data dir split over mounts) the fallback copies. */
async function moveInto(source: string, target: string, fallback: () => Promise<void>): Promise<void> {
  await rm(target, { recursive: true, force: true });
  await rename(source, target).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "EXDEV") throw error;
    await fallback();
  });
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  const text = await readFile(join(dir, "manifest.json"), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

/**
 * The host path of a cache path, refusing one whose parent directories leave the worktree: setup
 * ran the repository's commands, which could have made `node_modules`' parent a symlink to /.
 */
export async function insideWorktree(worktree: string, path: string, create = true): Promise<string> {
  const host = hostCachePath(worktree, path);
  const parent = dirname(host);
  if (create) await mkdir(parent, { recursive: true });
  const [realRoot, realParent] = await Promise.all([realpath(worktree), realpath(parent)]);
  if (realParent !== realRoot && !realParent.startsWith(realRoot + sep)) {
    throw new Error(`cache path ${path} leads out of the worktree (${realParent}); it is not cached or restored`);
  }
  return host;
}
