import { readdir } from "node:fs/promises";
import { openCgroup } from "./cgroup.js";
import type { CgroupSupport } from "./probe.js";

/**
 * Job cgroups are named `<owner>@<job>-<random>`: "@" cannot occur in an owner id, so one
 * owner's prefix never matches another's.
 */
export function jobCgroupName(owner: string, sandboxId: string): string {
  return `${owner}@${sandboxId}`;
}

/**
 * Kills the members of every job cgroup `owner` left (a crashed runner) and removes them;
 * returns the sandbox ids of those that still had members.
 */
export async function sweepCgroups(support: CgroupSupport, owner: string): Promise<string[]> {
  const prefix = jobCgroupName(owner, "");
  const names = new Set<string>();
  for (const root of [support.membership, support.pids, support.memory, support.freezer]) {
    if (root === undefined) continue;
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory() && entry.name.startsWith(prefix)) names.add(entry.name);
  }
  const occupied: string[] = [];
  for (const name of names) {
    const cgroup = openCgroup(support, name);
    if ((await cgroup.members()).length > 0) occupied.push(name.slice(prefix.length));
    await cgroup.kill();
    await cgroup.remove();
  }
  return occupied;
}
