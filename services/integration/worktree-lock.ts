import { hostname } from "node:os";
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { failedPrecondition } from "../../shared/errors.js";
import { z } from "zod";
import { parseOutsideText } from "../../shared/outside-json.js";

/**
 * One integrator per worktree: two processes resetting and merging in the same
 * worktree would corrupt each other's work. The lock file names its holder; a holder
 * that has died (kill -9, crash) is detected by pid and its lock taken over.
 */
export interface WorktreeLock {
  readonly path: string;
  release(): Promise<void>;
}

/** The lock file's content; a crash may leave it half-written, so it is checked before it is read. */
const holderSchema = z.object({ pid: z.number().int().positive(), host: z.string().min(1), since: z.string().catch("") });
type Holder = z.infer<typeof holderSchema>;

/** Locks this process holds (or is taking), so a second integrator in the same process is refused too. */
const heldHere = new Set<string>();

export async function acquireWorktreeLock(path: string): Promise<WorktreeLock> {
  if (heldHere.has(path)) {
    throw failedPrecondition(`the integration worktree lock ${path} is already held by an integrator in this process; close it first`);
  }
  heldHere.add(path);
  try {
    await takeLockFile(path);
  } catch (error) {
    heldHere.delete(path);
    throw error;
  }
  return {
    path,
    release: async () => {
      if (!heldHere.delete(path)) return;
      await unlink(path).catch(() => {});
    },
  };
}

async function takeLockFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, "wx", 0o600);
      const holder: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await file.writeFile(JSON.stringify(holder));
      await file.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readHolder(path);
    if (holder && !isStale(holder)) {
      throw failedPrecondition(
        `the integration worktree is in use by pid ${holder.pid} on ${holder.host} since ${holder.since}; stop that integrator first, or delete ${path} if that process is gone`,
      );
    }
    await unlink(path).catch(() => {});
  }
  throw failedPrecondition(`could not take the integration lock ${path}; another integrator is starting at the same time, retry`);
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    return parseOutsideText(holderSchema, await readFile(path, "utf8"), `the integration lock ${path}`);
  } catch {
    // An unreadable lock was left half-written by a crash; treat it as stale.
  }
  return undefined;
}

function isStale(holder: Holder): boolean {
  if (holder.host !== hostname()) return false; // cannot see another machine's processes
  // A file naming our own pid that this process does not hold is from a previous life (containers restart as pid 1).
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
