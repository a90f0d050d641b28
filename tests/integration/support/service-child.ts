import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../../../shared/paths.js";

export type LogLine = Record<string, unknown> & { msg?: string };

/** The integration service running in a child process (tests/integration/fixtures/integration-service-child.ts). */
export interface ServiceChild {
  child: ChildProcess;
  /** Its JSON log lines so far. */
  logs: LogLine[];
  /** Everything it wrote to stderr that was not a JSON log line. */
  stderr: string[];
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the signal (or exit code) it ended with. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  /** SIGCONT (in case it is frozen) then SIGTERM; SIGKILL if it has not ended in 10 s. */
  stop(): Promise<void>;
}

export function spawnServiceChild(controlPlaneUrl: string, overrides: Record<string, unknown>): ServiceChild {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(packageRoot(), "tests/integration/fixtures/integration-service-child.ts"), JSON.stringify({ controlPlaneUrl, overrides })],
    { cwd: packageRoot(), stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PUSHPALS_LOG_LEVEL: "info" } },
  );
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: child.stderr! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      stderr.push(line);
    }
    for (const listener of listeners) listener();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
  let ended = false;
  void exited.then(() => {
    ended = true;
    for (const listener of listeners) listener();
  });

  return {
    child,
    logs,
    stderr,
    exited,
    waitForLog(what, match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find(match);
          if (found) return done(() => resolve(found));
          if (ended)
            done(() => reject(new Error(`the integration child ended before logging ${what}:\n${[...stderr, ...logs.map((l) => JSON.stringify(l))].slice(-20).join("\n")}`)));
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(
                  `the integration child did not log ${what} in ${timeoutMs} ms:\n${logs
                    .slice(-20)
                    .map((l) => JSON.stringify(l))
                    .join("\n")}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (ended) return;
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Whether a process is running (a zombie waiting to be reaped does not count). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
