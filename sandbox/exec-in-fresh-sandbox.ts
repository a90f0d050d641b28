import type { ExecResult, OutputChunk, SandboxDriver, SandboxSpec } from "./driver.js";

/**
 * One command in a sandbox of its own: start, exec, stop (also on failure or abort). For
 * commands that run repository code outside a job — integration checks, autonomy's collector
 * commands — so they get the same boundary as the agent's.
 */
export async function execInFreshSandbox(
  driver: SandboxDriver,
  spec: SandboxSpec,
  command: string,
  options: { timeoutMs: number; signal?: AbortSignal; onOutput?: (chunk: OutputChunk) => void },
): Promise<ExecResult> {
  const sandbox = await driver.start(spec, options.signal);
  try {
    const execution = sandbox.exec(command, { timeoutMs: options.timeoutMs, signal: options.signal });
    for await (const chunk of execution.output) options.onOutput?.(chunk);
    return await execution.result;
  } finally {
    await sandbox.stop();
  }
}
