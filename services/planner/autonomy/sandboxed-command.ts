import type { SandboxDriver } from "../../../sandbox/driver.js";
import { execInFreshSandbox } from "../../../sandbox/exec-in-fresh-sandbox.js";
import { outputWindow } from "../../../shared/text/output-window.js";

export interface CommandRun {
  exitCode: number;
  timedOut: boolean;
  /** stdout and stderr interleaved, head and tail kept. */
  output: string;
}

/**
 * How the collectors run a configured command (checks, lint, outdated) on the exported base
 * tree: repository code, so it runs inside a sandbox like integration's checks, never on the
 * planner's host. `network` only for commands that must reach a registry (outdated).
 */
export type RunRepoCommand = (command: string, options: { cwd: string; timeoutMs: number; signal: AbortSignal; network?: boolean }) => Promise<CommandRun>;

/** A collector parses whole outputs (npm outdated's JSON), so the window is wider than a check's. */
const HEAD_CHARS = 128 * 1024;
const TAIL_CHARS = 128 * 1024;

/**
 * Each command in a fresh sandbox of `driver()` (resolved on first use, so a planner whose
 * autonomy is off never needs the driver's tools), seeing only `env`.
 */
export function sandboxedRepoCommands(driver: () => Promise<SandboxDriver>, owner: string, env: Record<string, string>): RunRepoCommand {
  let runs = 0;
  return async (command, options) => {
    const output = outputWindow(HEAD_CHARS, TAIL_CHARS);
    const result = await execInFreshSandbox(await driver(), { jobId: `autonomy-${++runs}`, owner, worktree: options.cwd, env, network: options.network ?? false }, command, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onOutput: (chunk) => output.push(chunk.data, chunk.stream),
    });
    return { exitCode: result.exitCode, timedOut: result.timedOut, output: output.text() };
  };
}
