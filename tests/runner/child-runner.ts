import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../../shared/paths.js";
import type { Scene } from "./support.js";

export interface ChildRunner {
  child: ChildProcess;
  /** Every stdout line so far ("job <id> <ending>" as jobs end). */
  lines: string[];
  /** Ends it with SIGTERM (or the signal given) and resolves with how it exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export interface ChildRunnerOptions {
  /** The runner program, relative to the package root (default tests/runner/fixtures/runner-child.ts); .mjs runs without tsx. */
  fixture?: string;
  /** Added to the child's environment. */
  env?: Record<string, string>;
}

/** A runner process (tests/runner/fixtures/runner-child.ts) against the scene's control plane. */
export async function startChildRunner(scene: Scene, overrides: Record<string, unknown>, options: ChildRunnerOptions = {}): Promise<ChildRunner> {
  const input = { controlPlaneUrl: scene.controlPlane.url, repo: scene.repo, dataDir: scene.dataDir, overrides };
  const fixture = options.fixture ?? "tests/runner/fixtures/runner-child.ts";
  // A .mjs fixture runs on the built dist/ as production does; a .ts one through tsx.
  const loader = fixture.endsWith(".mjs") ? [] : ["--import", "tsx"];
  const child = spawn(process.execPath, [...loader, join(packageRoot(), fixture), JSON.stringify(input)], {
    cwd: packageRoot(),
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PUSHPALS_LOG_LEVEL: process.env.RUNNER_CHILD_LOG_LEVEL ?? "warn", ...options.env },
  });
  const lines: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the runner child did not start in time:\n${stderr}`)), 30_000);
    const check = setInterval(() => {
      if (lines.some((line) => line.startsWith("runner pid"))) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 20);
    void exited.then(([code]) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`the runner child exited (${code}) before it started:\n${stderr}`));
    });
  });
  return {
    child,
    lines,
    stderr: () => stderr,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        if (signal === "SIGTERM") child.kill("SIGCONT");
        child.kill(signal);
      }
      const [code, by] = child.exitCode !== null || child.signalCode !== null ? [child.exitCode, child.signalCode] : await exited;
      return { code, signal: by };
    },
  };
}
