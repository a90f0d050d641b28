import type { SandboxDriver } from "../../../sandbox/driver.js";
import { isSecretVariable } from "../../../shared/secret-environ.js";
import { outputWindow } from "./output-window.js";
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
    const sandbox = await options.driver.start(
      { jobId: run.runId || FALLBACK_RUN_ID, owner: options.owner, worktree: run.cwd, env: options.env, network: options.network ?? false, logger: run.logger },
      run.signal,
    );
    try {
      const execution = sandbox.exec(command, { timeoutMs: run.timeoutMs, signal: run.signal });
      const output = outputWindow();
      for await (const chunk of execution.output) {
        output.push(chunk.data, chunk.stream);
        run.onOutput?.(chunk.data);
      }
      const result = await execution.result;
      return { exitCode: result.exitCode, output: output.text(), summary: output.summary(), timedOut: result.timedOut, durationMs: result.durationMs };
    } finally {
      await sandbox.stop();
    }
  };
}

/**
 * The variables named in `allowList` that are set here: what a sandboxed check may see of this
 * process's environment. A secret stays out even when allow-listed, as in the runner's sandboxes.
 */
export function allowedEnvironment(allowList: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of allowList) {
    const value = env[name];
    if (value !== undefined && !isSecretVariable(name, value)) picked[name] = value;
  }
  return picked;
}
