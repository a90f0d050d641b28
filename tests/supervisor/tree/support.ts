import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "../../../shared/log.js";
import type { TreeEvent, TreeEventLog } from "../../../supervisor/events.js";

/** Records a supervisor's events as they come and lets a test wait for the ones it expects. */
export function recordEvents(log: TreeEventLog) {
  const controller = new AbortController();
  const seen: TreeEvent[] = [];
  const wake = new Set<() => void>();
  void (async () => {
    for await (const event of log.follow(controller.signal)) {
      seen.push(event);
      for (const notify of wake) notify();
    }
  })();

  return {
    seen,
    /** Resolves with the first `count` events matching, failing after `timeoutMs` with what was seen. */
    waitFor(match: (event: TreeEvent) => boolean, count = 1, timeoutMs = 10_000): Promise<TreeEvent[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hits = seen.filter(match);
          if (hits.length < count) return;
          finish();
          resolve(hits.slice(0, count));
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`waited ${timeoutMs} ms for ${count} matching events; saw ${JSON.stringify(seen)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          wake.delete(check);
        };
        wake.add(check);
        check();
      });
    },
    stop: () => controller.abort(),
  };
}

export function is(kind: TreeEvent["kind"], child: string, supervisor?: string) {
  return (event: TreeEvent) => event.kind === kind && event.child === child && (supervisor === undefined || event.supervisor === supervisor);
}

/** A pino logger writing into memory: `records()` parses each line, `lines` keeps them raw. */
export function captureLogger(level = "info"): { logger: Logger; lines: string[]; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(
        ...String(chunk)
          .split("\n")
          .filter((line) => line.length > 0),
      );
      done();
    },
  });
  const logger = pino({ level }, sink);
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** A process that is gone or a zombie (nobody may reap orphans in a container) no longer runs. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
