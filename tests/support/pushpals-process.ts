import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../../services/kernel/paths.js";

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
export async function startPushpals(args: string[], env: Record<string, string>, options: { cwd?: string; readyPattern?: RegExp; timeoutMs?: number } = {}): Promise<PushpalsProcess> {
  const child = spawn(process.execPath, [PUSHPALS_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, PUSHPALS_LOG_LEVEL: "warn", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const output: string[] = [];
  const errors: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => errors.push(line));
  const pattern = options.readyPattern ?? /listening on (http:\/\/\S+)/;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pushpals ${args.join(" ")} did not start in time:\n${errors.join("\n")}`)), options.timeoutMs ?? 20_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output.push(line);
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] ?? line);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pushpals ${args.join(" ")} exited with ${code} before it was ready:\n${errors.join("\n")}`));
    });
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
