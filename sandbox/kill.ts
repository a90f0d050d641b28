import { constants } from "node:os";

/** How long a timed-out command gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 1000;

/**
 * Signals a whole process group; false when none of it could be signalled: it no longer exists
 * (ESRCH) or every member changed user (EPERM, e.g. a setuid program). Never throws for those,
 * because it runs in timers where a throw would take the runner down.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH" || code === "EPERM") return false;
    throw error;
  }
}

/** The shell's convention for a process killed by a signal: 128 + its number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

/** What `result` says for a command killed (or cancelled before it started) when no status is known. */
export const KILLED_EXIT_CODE = 128 + constants.signals.SIGKILL;
