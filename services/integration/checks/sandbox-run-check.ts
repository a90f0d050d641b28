import type { SandboxDriver } from "../../../sandbox/driver.js";
import { execInFreshSandbox } from "../../../sandbox/exec-in-fresh-sandbox.js";
import { outputWindow } from "../../../shared/text/output-window.js";
import type { CheckRun, RunCheck } from "./run-check.js";

export interface SandboxCheckOptions {
  driver: SandboxDriver;
  /** Labels every sandbox (the integration worker's id), so a restarted integrator can sweep what a crashed one left. */
  owner: string;
  /** The whole environment a check sees; tokens and keys never go in. */
  env: Record<string, string>;
  /** Default false: checks run without network. */
  network?: boolean;
}

/** Names a sandbox when the caller gave no run id (a sandbox name must be a safe label). */
const FALLBACK_RUN_ID = "integration-check";

/**
 * Runs each check in a fresh sandbox of the supervisor's driver (bwrap, docker,
 * kubernetes, or the unisolated process driver) on the integration worktree: start,
 * exec with the check's timeout, stop. The driver kills the command's whole tree on
 * timeout or abort; git data is read-only inside, as for jobs.
 */
export function sandboxRunCheck(options: SandboxCheckOptions): RunCheck {
  return async (command, run): Promise<CheckRun> => {
    const output = outputWindow();
    const result = await execInFreshSandbox(
      options.driver,
      { jobId: run.runId || FALLBACK_RUN_ID, owner: options.owner, worktree: run.cwd, env: options.env, network: options.network ?? false, logger: run.logger },
      command,
      {
        timeoutMs: run.timeoutMs,
        signal: run.signal,
        onOutput: (chunk) => {
          output.push(chunk.data, chunk.stream);
          run.onOutput?.(chunk.data);
        },
      },
    );
    return { exitCode: result.exitCode, output: output.text(), summary: output.summary(), timedOut: result.timedOut, durationMs: result.durationMs };
  };
}
