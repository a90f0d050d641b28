import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { z } from "zod";
import type { Logger } from "../../services/kernel/log.js";
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
  ms: number;
}

export interface DependencyCache {
  /** The entry's trees linked into the worktree; undefined when there is none (or it was spoiled and is dropped). */
  restore(key: string, worktree: string, cache: readonly string[], signal?: AbortSignal): Promise<CacheRestore | undefined>;
  /** Keeps the worktree's cache paths as the entry for `key` (a copy, so the job cannot change it afterwards). */
  save(key: string, worktree: string, cache: readonly string[], signal?: AbortSignal): Promise<{ files: number; bytes: number; ms: number }>;
}

/** Where a cache path lives in a worktree on the host: ~/x under the environment's home. */
export function hostCachePath(worktree: string, path: string): string {
  const relative = path.startsWith("~/") ? join(ENVIRONMENT_HOME, path.slice(2)) : path;
  return join(worktree, relative.replace(/\/+$/, ""));
}

/**
 * Ready environments under <dataDir>/environments/<key>: each cache path's tree as setup left
 * it, and a manifest with their fingerprints. An entry appears whole or not at all (made under a
 * temporary name, then renamed); two jobs saving the same key at once keep the first.
 */
export function dependencyCache(root: string, logger: Logger): DependencyCache {
  let method: Promise<CopyMethod> | undefined;
  const copyMethod = () => (method ??= probeCopyMethod(root));
  const entryDir = (key: string) => join(root, key);

  return {
    async restore(key, worktree, cache, signal) {
      const started = performance.now();
      const manifest = await readManifest(entryDir(key));
      if (!manifest || manifest.paths.map((entry) => entry.path).join("\0") !== cache.join("\0")) return undefined;
      const how = await copyMethod();
      let files = 0;
      let bytes = 0;
      for (const [index, entry] of manifest.paths.entries()) {
        if (!entry.present) continue;
        const stored = join(entryDir(key), "paths", String(index));
        // Linked files are shared: one a job changed in place spoils the entry for everyone after.
        if (how === "hardlink" && (await treeFingerprint(stored)).digest !== entry.digest) {
          logger.warn({ key, path: entry.path }, "a cached environment was changed since it was saved (a job wrote into a linked file); dropping it, setup runs again");
          await rm(entryDir(key), { recursive: true, force: true });
          return undefined;
        }
        const target = await insideWorktree(worktree, entry.path);
        await restoreTree(how, stored, target, signal);
        files += entry.files;
        bytes += entry.bytes;
      }
      return { paths: manifest.paths.filter((entry) => entry.present).map((entry) => entry.path), files, bytes, method: how, ms: Math.round(performance.now() - started) };
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
        return { files: paths.reduce((sum, entry) => sum + entry.files, 0), bytes: paths.reduce((sum, entry) => sum + entry.bytes, 0), ms: Math.round(performance.now() - started) };
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    },
  };
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
