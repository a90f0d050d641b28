import { newId } from "../../shared/ids.js";
import type { SandboxDriver } from "../../sandbox/driver.js";
import { removeWorktree, type WorktreePool } from "../../services/runner/workspace/index.js";

/** One job's start, split where the time goes (ms). */
export interface StartSample {
  worktree: number;
  sandbox: number;
  firstCommand: number;
  total: number;
  warm: boolean;
}

/**
 * What a job waits for between its claim and the first output of its first command: the
 * worktree (resolve the base, make or take the checkout on the job's branch), the sandbox, and
 * `echo ready` run in it. Cleanup (stop, remove the worktree) is not counted: it happens after
 * the job, off its path.
 */
export async function measureStart(options: { repo: string; pool: WorktreePool; driver: SandboxDriver; owner: string; env: Record<string, string> }): Promise<StartSample> {
  const jobId = newId("job");
  const started = performance.now();
  const workspace = await options.pool.create({ jobId, baseRef: "main" });
  const worktreeReady = performance.now();
  const sandbox = await options.driver.start({ jobId, owner: options.owner, worktree: workspace.path, env: options.env });
  const sandboxReady = performance.now();
  let firstOutput = 0;
  try {
    const execution = sandbox.exec("echo ready");
    for await (const chunk of execution.output) {
      if (!firstOutput) firstOutput = performance.now();
      if (!chunk.data.includes("ready")) throw new Error(`the first command printed ${JSON.stringify(chunk.data)}, not "ready"`);
    }
    const result = await execution.result;
    if (result.exitCode !== 0 || !firstOutput) throw new Error(`the first command failed (exit ${result.exitCode})`);
  } finally {
    await sandbox.stop();
    await removeWorktree(options.repo, workspace.path);
  }
  return {
    worktree: worktreeReady - started,
    sandbox: sandboxReady - worktreeReady,
    firstCommand: firstOutput - sandboxReady,
    total: firstOutput - started,
    warm: workspace.warm,
  };
}
