import { spawn } from "node:child_process";
import { once } from "node:events";
import { PUSHPALS_BIN } from "../../support/pushpals-process.js";

export interface CliRun {
  /** Resolves when the command exits: its stdout, the JSON lines in it (for --json), and stderr. */
  exited: Promise<{ code: number | null; stdout: string; json: Record<string, unknown>[]; stderr: string }>;
  kill(): void;
}

/** Runs a `pushpals` client command in its own process, as a person's terminal would. */
export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [PUSHPALS_BIN, ...args], {
    env: { ...process.env, NO_COLOR: "1", PUSHPALS_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => ({
    code: code as number | null,
    stdout,
    json: stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>),
    stderr,
  }));
  return {
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
