import { createHash } from "node:crypto";
import type { JobEnvironment } from "./job-environment.js";

/**
 * What a ready environment depends on: the repository, the lockfiles' contents (git blob ids),
 * the image and driver it was built in, and what setup ran. Any change makes a new entry.
 */
export function environmentCacheKey(repo: string, driver: string, environment: JobEnvironment): string {
  const { setup, cache, image, env, lockfiles } = environment;
  const sortedLockfiles = Object.fromEntries(Object.entries(lockfiles).sort(([a], [b]) => a.localeCompare(b)));
  const sortedEnv = Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  const material = JSON.stringify({ version: 1, repo, driver, image, setup, cache, env: sortedEnv, lockfiles: sortedLockfiles });
  return createHash("sha256").update(material).digest("hex").slice(0, 32);
}
