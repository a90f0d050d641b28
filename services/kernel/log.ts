import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/**
 * Structured JSON logs on stderr (stdout is for what a person reads). Level from
 * PUSHPALS_LOG_LEVEL (default "info"; tests run "silent" unless asked otherwise).
 * `service` is left out where one process runs several: each binds its own with a child,
 * because pino writes a child's binding beside its parent's, never over it.
 */
export function createLogger(service?: string, bindings: Record<string, unknown> = {}): Logger {
  const level = process.env.PUSHPALS_LOG_LEVEL ?? (process.env.VITEST ? "silent" : "info");
  return pino({ level, base: { ...(service ? { service } : {}), pid: process.pid, ...bindings } }, stderrDestination());
}

/**
 * Synchronous writes to stderr. The asynchronous destination flushes on exit with sonic-boom's
 * flushSync, which retries a failing write forever: a mesh child whose parent was killed (its
 * stderr a broken pipe) then hung in its exit handler instead of exiting. Synchronous writes see
 * EPIPE at once and pino stops logging to that stream; lines also reach stderr before a crash.
 */
function stderrDestination() {
  return pino.destination({ dest: 2, sync: true });
}

/** A logger that drops everything, for library code used without a service around it. */
export const silentLogger: Logger = pino({ level: "silent" });
