import { realpath } from "node:fs/promises";
import { failedPrecondition } from "../shared/errors.js";
import type { Logger } from "../shared/log.js";
import type { Sandbox } from "./driver.js";

/**
 * copyIn/copyOut for drivers that mount the job's worktree itself: the sandbox already sees
 * every change as it happens, so there is nothing to copy. Any other directory is refused
 * rather than silently ignored, because nothing would reach it.
 */
export function sharedWorktreeCopies(worktree: string, driver: string, logger: Logger): Pick<Sandbox, "copyIn" | "copyOut"> {
  const check = async (hostDir: string, operation: string) => {
    const [wanted, mounted] = await Promise.all([realpath(hostDir).catch(() => hostDir), realpath(worktree)]);
    if (wanted !== mounted) {
      throw failedPrecondition(`the ${driver} sandbox mounts ${worktree} directly, so ${operation} only accepts that directory (got ${hostDir}); pass the job's worktree`);
    }
    logger.debug({ operation }, "worktree is shared with the sandbox; nothing to copy");
  };
  return {
    copyIn: (hostDir) => check(hostDir, "copyIn"),
    copyOut: (hostDir) => check(hostDir, "copyOut"),
  };
}
