import { mkdirSync } from "node:fs";
import { mkdir, readFile, readdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { CgroupSupport } from "./probe.js";

export interface CgroupLimits {
  pids?: number;
  memoryBytes?: number;
}

/**
 * One cgroup, present in every hierarchy the support names (v1: pids, memory, freezer; v2: one).
 * Its members are every process started in it and all their descendants, whatever session,
 * process group or environment they moved to: only a write to another cgroup.procs, which a
 * sandboxed command cannot make, takes a process out.
 */
export interface Cgroup {
  /** The path under each `pushpals` parent, e.g. "worker-1@job_01H-3fa2c1" or ".../c3" for a child. */
  readonly name: string;
  /** A new process writes its own pid to each of these before it runs anything (see launcher.ts). */
  readonly procsFiles: string[];
  /** A child without limits of its own (the parent's bind it); synchronous because exec() is. */
  child(name: string): Cgroup;
  /** Live members (zombies left out), this cgroup's and its children's. */
  members(): Promise<number[]>;
  /** SIGKILLs every member until none is left; throws when some survive the bounded rounds. */
  kill(): Promise<void>;
  /**
   * Waits (bounded) until at most `count` processes are charged to pids.max here. The killed stay
   * charged until their parent reaps them, for orphans the host's init, which some hosts do only
   * every second or so; a flood's corpses must not spend the budget of the job's next command.
   */
  reapedTo(count: number): Promise<void>;
  /** Removes this cgroup and its children from every hierarchy; kill() first. */
  remove(): Promise<void>;
}

/** After this many rounds of SIGKILL (about 5 s) the survivors are reported, not waited for. */
const KILL_ROUNDS = 100;
const REMOVE_ATTEMPTS = 40;

/** Every distinct hierarchy directory the support uses. */
function hierarchies(support: CgroupSupport): string[] {
  return [...new Set([support.membership, support.pids, support.memory, support.freezer].filter((dir): dir is string => dir !== undefined))];
}

/**
 * Makes the cgroup `name` directly under each `pushpals` parent (where the probe enabled the
 * controllers) with the limits the support can enforce; returns it and the limits in force.
 */
export async function createCgroup(support: CgroupSupport, name: string, limits: CgroupLimits): Promise<{ cgroup: Cgroup; applied: CgroupLimits }> {
  for (const root of hierarchies(support)) await mkdir(join(root, name));
  const applied: CgroupLimits = {};
  if (limits.pids !== undefined && support.pids && (await write(join(support.pids, name, "pids.max"), String(limits.pids)))) {
    applied.pids = limits.pids;
  }
  if (limits.memoryBytes !== undefined && support.memory) {
    const dir = join(support.memory, name);
    const bytes = String(limits.memoryBytes);
    const set = support.version === 2 ? await write(join(dir, "memory.max"), bytes) : await write(join(dir, "memory.limit_in_bytes"), bytes);
    // Without swap accounting a hog would page out instead of being stopped; absent files are fine.
    if (set && support.version === 2) await write(join(dir, "memory.swap.max"), "0");
    if (set && support.version === 1) await write(join(dir, "memory.memsw.limit_in_bytes"), bytes);
    if (set) applied.memoryBytes = limits.memoryBytes;
  }
  return { cgroup: openCgroup(support, name), applied };
}

/** A handle on a cgroup that exists (or existed): nothing is created. */
export function openCgroup(support: CgroupSupport, name: string): Cgroup {
  const roots = hierarchies(support);
  const membership = join(support.membership, name);
  const self: Cgroup = {
    name,
    procsFiles: roots.map((root) => join(root, name, "cgroup.procs")),
    child(childName) {
      for (const root of roots) mkdirSync(join(root, name, childName));
      return openCgroup(support, join(name, childName));
    },
    members: () => liveMembers(membership),
    async kill() {
      for (let round = 0; ; round += 1) {
        const pids = await self.members();
        if (pids.length === 0) return;
        if (round === KILL_ROUNDS) {
          throw new Error(
            `${pids.length} processes of cgroup ${membership} (pids ${pids.slice(0, 10).join(", ")}) survived ${KILL_ROUNDS} rounds of SIGKILL; they may be stuck in the kernel (state D): check them with ps and kill them by hand`,
          );
        }
        await killRound(support, name, pids);
        await delay(round < 10 ? 5 : 50);
      }
    },
    async reapedTo(count) {
      if (!support.pids) return;
      const current = join(support.pids, name, "pids.current");
      for (let attempt = 0; attempt < 75; attempt += 1) {
        if (Number(await readFile(current, "utf8").catch(() => "0")) <= count) return;
        await delay(20);
      }
    },
    async remove() {
      for (const root of roots) await removeTree(join(root, name));
    },
  };
  return self;
}

/**
 * v2 with cgroup.kill: the kernel kills the whole subtree at once, forks included. v1 (and v2
 * without it): freeze, so nobody forks between the listing and the signals, then SIGKILL each
 * and thaw (frozen processes die as they thaw). Without a freezer, rounds of SIGKILL outpace
 * a fork loop because pids.max bounds it.
 */
async function killRound(support: CgroupSupport, name: string, pids: number[]): Promise<void> {
  if (support.version === 2 && (await write(join(support.membership, name, "cgroup.kill"), "1"))) return;
  const freezer = support.freezer ? join(support.freezer, name, "freezer.state") : undefined;
  if (freezer && (await freeze(freezer))) {
    try {
      for (const pid of await liveMembers(join(support.membership, name))) sigkill(pid);
    } finally {
      await write(freezer, "THAWED");
    }
    return;
  }
  for (const pid of pids) sigkill(pid);
}

async function freeze(stateFile: string): Promise<boolean> {
  if (!(await write(stateFile, "FROZEN"))) return false;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await readFile(stateFile, "utf8").catch(() => "")).trim() === "FROZEN") return true;
    await delay(2);
  }
  // Still FREEZING (a member in an uninterruptible sleep): kill what can be killed anyway.
  return true;
}

function sigkill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

async function liveMembers(dir: string): Promise<number[]> {
  const pids: number[] = [];
  const visit = async (path: string) => {
    const procs = await readFile(join(path, "cgroup.procs"), "utf8").catch(() => "");
    for (const line of procs.split("\n")) if (line && !(await isZombie(line))) pids.push(Number(line));
    const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) await visit(join(path, entry.name));
  };
  await visit(dir);
  return pids;
}

/** A zombie holds no resources and cannot be killed; its parent reaps it. */
async function isZombie(pid: string): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat === "" || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

/** rmdir children first; a cgroup whose last members are still exiting is busy for a moment. */
async function removeTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await removeTree(join(dir, entry.name));
  for (let attempt = 1; ; attempt += 1) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY" || attempt === REMOVE_ATTEMPTS) {
        throw new Error(`could not remove cgroup ${dir} (${code}); kill its members (cat ${join(dir, "cgroup.procs")}) and rmdir it`);
      }
      await delay(25);
    }
  }
}

/** Writes a control file; false when the kernel refuses (the file may not exist on this host). */
async function write(file: string, value: string): Promise<boolean> {
  return writeFile(file, value).then(
    () => true,
    () => false,
  );
}
