import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../../shared/paths.js";
import { announcedUrl } from "./announced-url.js";

export const PUSHPALS_BIN = join(packageRoot(), "bin", "pushpals.js");

export interface PushpalsProcess {
  child: ChildProcess;
  /** The URL the process printed ("… listening on http://…"). */
  url: string;
  /** Every stdout line so far. */
  output: string[];
  /** Every stderr line so far (the JSON logs, and notes for a person). */
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the compiled CLI (`npm test` builds dist/ first) and waits for the line
 * announcing its URL. Never leaves the process behind: stop() waits for exit.
 */
export async function startPushpals(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; readyPattern?: RegExp; timeoutMs?: number } = {},
): Promise<PushpalsProcess> {
  const child = spawn(process.execPath, [PUSHPALS_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, PUSHPALS_LOG_LEVEL: "warn", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const output: string[] = [];
  const errors: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => errors.push(line));
  const url = await announcedUrl(child, {
    what: `pushpals ${args.join(" ")}`,
    timeoutMs: options.timeoutMs ?? 20_000,
    pattern: options.readyPattern,
    onLine: (line) => output.push(line),
  }).catch((error: Error) => {
    throw new Error(`${error.message}:\n${errors.join("\n")}`);
  });
  return {
    child,
    url,
    output,
    logs: errors,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, "exit")) as [number | null];
      return code;
    },
  };
}
