import { readFile, readdir } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";

/**
 * Where no cgroup can be made, a command's processes are found by a variable in their
 * environment: every process a command starts inherits it, whatever session or process group
 * it moves to. /proc/<pid>/environ is the environment a program was started with, so a process
 * that execs a program with a cleared environment (env -i) is no longer found: this is the
 * fallback, cgroups are the guarantee.
 */
export const MARKER_VARIABLE = "PUSHPALS_SANDBOX_ID";

const KILL_ROUNDS = 50;

/** The processes whose MARKER_VARIABLE value `select` accepts, with that value. */
export async function markedProcesses(select: (value: string) => boolean): Promise<Map<number, string>> {
  const needle = Buffer.from(`${MARKER_VARIABLE}=`);
  const found = new Map<number, string>();
  const pids = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid);
  await Promise.all(
    pids.map(async (entry) => {
      // Another user's processes, and processes that are gone, cannot be read: neither is ours.
      const environ = await readFile(`/proc/${entry}/environ`).catch(() => undefined);
      const value = environ && markerValue(environ, needle);
      if (value !== undefined && select(value)) found.set(Number(entry), value);
    }),
  );
  return found;
}

function markerValue(environ: Buffer, needle: Buffer): string | undefined {
  for (let at = environ.indexOf(needle); at !== -1; at = environ.indexOf(needle, at + 1)) {
    if (at > 0 && environ[at - 1] !== 0) continue;
    const start = at + needle.length;
    const end = environ.indexOf(0, start);
    return environ.subarray(start, end === -1 ? environ.length : end).toString();
  }
  return undefined;
}

/**
 * SIGKILLs every marked process `select` accepts, in rounds until none is left (a fork between
 * a scan and the kills is caught by the next round); returns the distinct values it found.
 * Throws when some survive the bounded rounds.
 */
export async function killMarked(select: (value: string) => boolean, description: string): Promise<Set<string>> {
  const values = new Set<string>();
  for (let round = 0; ; round += 1) {
    const found = await markedProcesses(select);
    if (found.size === 0) return values;
    if (round === KILL_ROUNDS) {
      throw new Error(
        `${found.size} processes of ${description} (pids ${[...found.keys()].slice(0, 10).join(", ")}) survived ${KILL_ROUNDS} rounds of SIGKILL; check them with ps and kill them by hand`,
      );
    }
    for (const [pid, value] of found) {
      values.add(value);
      try {
        process.kill(pid, "SIGKILL");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
    }
    await delay(round < 10 ? 5 : 50);
  }
}
