import { pino, type DestinationStream, type Logger } from "pino";
import { prettyFactory } from "pino-pretty";
import { chosenLogFormat } from "./log-format.js";

export type { Logger } from "pino";

/**
 * Logs on stderr (stdout is for what a person reads): short coloured lines on a terminal,
 * JSON lines otherwise or with PUSHPALS_LOG_FORMAT=json (see chosenLogFormat). Level from
 * PUSHPALS_LOG_LEVEL (default "info"; tests run "silent" unless asked otherwise).
 * `service` is left out where one process runs several: each binds its own with a child,
 * because pino writes a child's binding beside its parent's, never over it.
 */
export function createLogger(service?: string, bindings: Record<string, unknown> = {}): Logger {
  const level = process.env.PUSHPALS_LOG_LEVEL ?? (process.env.VITEST ? "silent" : "info");
  const destination = chosenLogFormat() === "pretty" ? prettyStderr() : stderrDestination();
  return pino({ level, base: { ...(service ? { service } : {}), pid: process.pid, ...bindings } }, destination);
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

/**
 * "12:04:31 INFO  planner: planning request {"requestId":"req_…"}" — one line per record.
 * pino-pretty's formatter in this thread writing to the same synchronous destination, not its
 * transform stream or a worker transport: both are asynchronous and would bring the exit hang
 * back, or lose the last lines before a crash. A JSON line written here (a mesh child's record
 * the parent forwards) is formatted the same way.
 */
function prettyStderr(): DestinationStream {
  const stderr = stderrDestination();
  const format = prettyFactory({
    colorize: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
    translateTime: "HH:MM:ss",
    ignore: "pid,hostname,service,root,supervisor,child,component",
    messageFormat: "{if service}{service}: {end}{msg}",
    singleLine: true,
  });
  // Looked up on every write: on EPIPE pino replaces the destination's write with a no-op.
  return { write: (line: string) => void stderr.write(format(line)) };
}

/** A logger that drops everything, for library code used without a service around it. */
export const silentLogger: Logger = pino({ level: "silent" });
