import { readdir } from "node:fs/promises";
import type { Logger } from "../../shared/log.js";
import type { SandboxDriver } from "../../sandbox/driver.js";
import { sweepWorktrees, workerWorktrees } from "./workspace/index.js";
import { pidOfDefaultWorkerId } from "./worker-id.js";

/**
 * At start-up, removes what a crashed runner left: its worktrees and its sandboxes. That is
 * this worker id's, and (for the default "<hostname>-<pid>" ids, which change with every start)
 * those of runners of this host whose process is gone. Another live runner's work is never
 * touched.
 */
export async function sweepLeftovers(options: { repo: string; dataDir: string; workerId: string; driver: SandboxDriver; logger: Logger }): Promise<void> {
  const { repo, dataDir, workerId, driver, logger } = options;
  const owners = [workerId, ...(await deadSiblings(dataDir, workerId))];
  for (const owner of owners) {
    const [worktrees, sandboxes] = await Promise.all([sweepWorktrees(repo, dataDir, owner), driver.sweep(owner)]);
    if (worktrees.length > 0 || sandboxes > 0) {
      logger.warn({ owner, worktrees, sandboxes }, "removed worktrees and sandboxes a stopped runner left behind");
    }
  }
}

async function deadSiblings(dataDir: string, workerId: string): Promise<string[]> {
  const root = workerWorktrees(dataDir, workerId).slice(0, -workerId.length);
  const entries = await readdir(root).catch(() => [] as string[]);
  return entries.filter((owner) => {
    if (owner === workerId) return false;
    const pid = pidOfDefaultWorkerId(owner);
    return pid !== undefined && !isAlive(pid);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
