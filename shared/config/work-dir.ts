import { lstat, mkdir } from "node:fs/promises";
import { userInfo } from "node:os";
import { sep } from "node:path";
import { failedPrecondition } from "../errors.js";
import { privateTmpRoot } from "./data-dir.js";

/**
 * Makes the work dir. Under the shared /var/tmp it first makes sure /var/tmp/pushpals-<uid> is
 * this user's own private directory: another user could have made it first (or a symlink to a
 * place they read), and worktrees hold the repository's code and the agent's changes.
 */
export async function ensureWorkDir(workDir: string, root = privateTmpRoot()): Promise<void> {
  if (workDir === root || workDir.startsWith(root + sep)) {
    await mkdir(root, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
    const stats = await lstat(root);
    const uid = userInfo().uid;
    if (!stats.isDirectory() || stats.uid !== uid || (stats.mode & 0o077) !== 0) {
      throw failedPrecondition(
        `${root} is not a private directory of uid ${uid} (a ${stats.isSymbolicLink() ? "symlink" : stats.isDirectory() ? "directory" : "file"} owned by uid ${stats.uid}, mode ${(stats.mode & 0o777).toString(8)}); ` +
          `remove it if it is yours, or set PUSHPALS_WORK_DIR (storage.workDir) to a directory without a dot directory in its path`,
      );
    }
  }
  await mkdir(workDir, { recursive: true });
}
