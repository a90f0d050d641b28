import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { PUSHPALS_BIN } from "../../support/pushpals-process.js";

export interface CliRun {
  child: ChildProcess;
  /** stdout lines so far. */
  lines: string[];
  /** Resolves with the first stdout line (so far or to come) matching, or rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<CliResult>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled CLI (`npx tsc -p tsconfig.build.json` first) as a person runs it: not a TTY, no colour unless forced. */
export function startCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  // Only what the test passes decides where the CLI connects and whether it colours.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["PUSHPALS_SERVER_URL", "PUSHPALS_PORT", "PUSHPALS_AUTH_TOKEN", "FORCE_COLOR", "NO_COLOR"]) delete env[name];
  Object.assign(env, { PUSHPALS_LOG_LEVEL: "warn" }, options.env);
  const child = spawn(process.execPath, [PUSHPALS_BIN, ...args], { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, "close").then(([code]) => ({ code: code as number | null, stdout: lines.join("\n"), stderr }));
  return {
    child,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 15_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no stdout line matched ${pattern} in ${timeoutMs} ms; got:\n${lines.join("\n")}\nstderr:\n${stderr}`)), timeoutMs);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

/** Runs the CLI to its end. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return startCli(args, options).exited;
}
