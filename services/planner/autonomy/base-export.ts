import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostGit } from "../../../shared/git/host-git.js";
import { runCommand } from "./run-command.js";

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
    const untar = await runCommand(`tar -xf base.tar && rm base.tar`, { cwd: dir, timeoutMs: 120_000, signal });
    if (untar.exitCode !== 0) throw new Error(`unpacking ${ref} of ${repoPath} failed: ${untar.output}`);
    return await work(tree);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
