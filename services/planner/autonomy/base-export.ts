import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { hostGit } from "../../../shared/git/host-git.js";

const run = promisify(execFile);

/**
 * The base branch's committed tree in a scratch folder: collectors run the project's commands
 * there, never in the person's working copy (which may hold changes, or be where a job's
 * worktree pool is busy). `git archive` writes no worktree metadata, so nothing races the runner.
 */
export async function withBaseExport<T>(repoPath: string, ref: string, signal: AbortSignal, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "pushpals-autonomy-"));
  try {
    const tree = join(dir, "tree");
    await hostGit(repoPath, ["archive", "--format=tar", "--prefix=tree/", "-o", join(dir, "base.tar"), ref], { signal });
    try {
      await run("tar", ["-xf", "base.tar"], { cwd: dir, timeout: 120_000, signal });
    } catch (error) {
      throw new Error(`unpacking ${ref} of ${repoPath} into ${dir} failed (is tar installed?): ${error instanceof Error ? error.message : String(error)}`);
    }
    await rm(join(dir, "base.tar"));
    return await work(tree);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
