import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signalGroup } from "./kill.js";

/**
 * The process driver's commands lead their own process groups (so a timeout kills the whole
 * tree), which also means they outlive a runner that crashes. Each running group is recorded
 * as a file named after its id, holding its leader's start time, in a directory per sandbox,
 * so a later runner with the same owner can kill what is left, and never a stranger that
 * reused the pid. (The job cgroup or marker, see containment.ts, also finds what left the group.)
 */
export interface GroupRecords {
  add(pgid: number): void;
  remove(pgid: number): void;
  /** The sandbox stopped: forget its directory. */
  close(): void;
}

export function defaultGroupsDir(): string {
  return join(tmpdir(), "pushpals-process-groups");
}

export function groupRecords(owner: string, sandboxId: string, root = defaultGroupsDir()): GroupRecords {
  const dir = join(root, owner, sandboxId);
  mkdirSync(dir, { recursive: true });
  return {
    add(pgid) {
      writeFileSync(join(dir, String(pgid)), startTimeOf(pgid) ?? "");
    },
    remove(pgid) {
      rmSync(join(dir, String(pgid)), { force: true });
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kills the recorded groups of `owner` that still run; returns the sandbox ids it killed some of. */
export function sweepGroups(owner: string, root = defaultGroupsDir()): Set<string> {
  const killed = new Set<string>();
  for (const sandboxId of entries(join(root, owner))) {
    const dir = join(root, owner, sandboxId);
    for (const name of entries(dir)) {
      const pgid = Number(name);
      const file = join(dir, name);
      if (Number.isInteger(pgid) && pgid > 1) {
        const recorded = readFileSync(file, "utf8");
        const now = startTimeOf(pgid);
        // A live leader with another start time is a new process that reused the pid.
        // A gone leader cannot have its pid reused while its group still has members.
        const ours = now === undefined || recorded === "" || now === recorded;
        if (ours && signalGroup(pgid, "SIGKILL")) killed.add(sandboxId);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return killed;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), undefined when gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
