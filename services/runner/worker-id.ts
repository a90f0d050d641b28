import { hostname } from "node:os";
import { invalidArgument } from "../../shared/errors.js";
import { WORKER_ID } from "../../shared/ids.js";
import { safeHostLabel } from "../../shared/host-label.js";

/**
 * The runner's worker id: runner.workerId when set (checked, never rewritten: a typo must not
 * quietly become another worker whose orphans nobody sweeps), else "<hostname>-<pid>" made safe.
 */
export function workerIdFrom(configured: string, host: string = hostname(), pid: number = process.pid): string {
  if (configured !== "") {
    if (!WORKER_ID.test(configured)) {
      throw invalidArgument(
        "runner.workerId",
        `${JSON.stringify(configured)} must be 1-63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit (or empty for "<hostname>-<pid>")`,
      );
    }
    return configured;
  }
  return defaultWorkerId(host, pid);
}

/** "<hostname>-<pid>", lower-cased, other characters turned into "-", cut so the pid always fits. */
export function defaultWorkerId(host: string, pid: number): string {
  const suffix = `-${pid}`;
  return `${safeHostLabel(63 - suffix.length, host) || "runner"}${suffix}`;
}

/** The pid in a default worker id of this host (so what a dead runner of this host left can be swept), else undefined. */
export function pidOfDefaultWorkerId(workerId: string, host: string = hostname()): number | undefined {
  const pid = Number(/-(\d+)$/.exec(workerId)?.[1]);
  return Number.isInteger(pid) && pid > 0 && defaultWorkerId(host, pid) === workerId ? pid : undefined;
}
