import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHostGit } from "../../../shared/git/host-git.js";
import type { JobWorkspace } from "./job-workspace.js";

/**
 * A job's work in progress, kept in the host repository while the job waits on a person (a
 * question, an approval, a pause): a commit of the worktree as it stands on top of the job's
 * base, under refs/pushpals/checkpoints/<job>. A runner that dies while the job waits loses
 * its worktree (its successor sweeps it); the job's next attempt starts from the checkpoint
 * instead of from scratch. Refs under refs/pushpals/ are shared by every worktree of the
 * repository and are never pushed (integration pushes branches only).
 */
export function checkpointRef(jobId: string): string {
  return `refs/pushpals/checkpoints/${jobId}`;
}

export interface Checkpoint {
  sha: string;
  /** The commit the checkpoint was taken on, where the next attempt's worktree starts. */
  baseSha: string;
}

const IDENTITY = ["user.name=PushPals checkpoint", "user.email=checkpoint@pushpals.invalid", "commit.gpgSign=false"];

/**
 * Commits the worktree (new, changed and deleted files; .gitignore'd ones stay out) as the
 * job's checkpoint. Staged into a throwaway index, so the worktree's own index — what the
 * final staging starts from — is untouched. The caller holds the change against the policy
 * first: staging hashes every file into .git/objects.
 */
export async function saveCheckpoint(workspace: JobWorkspace, jobId: string, note: string, signal?: AbortSignal): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pushpals-checkpoint-"));
  const git = (args: string[], env?: Record<string, string>) =>
    runHostGit([`--git-dir=${workspace.gitDir}`, `--work-tree=${workspace.path}`, ...args], {
      cwd: workspace.path,
      config: IDENTITY,
      ...(env ? { env } : {}),
      ...(signal ? { signal } : {}),
    });
  try {
    const env = { GIT_INDEX_FILE: join(dir, "index") };
    await git(["read-tree", workspace.baseSha], env);
    await git(["add", "--all", "--", "."], env);
    const tree = (await git(["write-tree"], env)).stdout.trim();
    const sha = (await git(["commit-tree", tree, "-p", workspace.baseSha, "-m", `pushpals checkpoint of ${jobId}: ${note}`])).stdout.trim();
    await git(["update-ref", "-m", `pushpals: checkpoint (${note})`, checkpointRef(jobId), sha]);
    return sha;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The job's checkpoint in the repository, if an earlier attempt left one. */
export async function findCheckpoint(repo: string, jobId: string, signal?: AbortSignal): Promise<Checkpoint | undefined> {
  const options = { cwd: repo, okCodes: [1, 128], ...(signal ? { signal } : {}) };
  const found = await runHostGit(["rev-parse", "--verify", "--quiet", `${checkpointRef(jobId)}^{commit}`], options);
  const sha = found.stdout.trim();
  if (found.exitCode !== 0 || !sha) return undefined;
  const parent = await runHostGit(["rev-parse", "--verify", "--quiet", `${sha}^1`], options);
  return parent.exitCode === 0 && parent.stdout.trim() ? { sha, baseSha: parent.stdout.trim() } : undefined;
}

/**
 * Puts the checkpoint's files in a fresh worktree made at its base: the work tree becomes the
 * checkpoint's tree and the index stays at the base, so the change is uncommitted work again,
 * checked and committed like any other at the job's end.
 */
export async function restoreCheckpoint(workspace: JobWorkspace, checkpoint: Checkpoint, signal?: AbortSignal): Promise<void> {
  const git = (args: string[]) => runHostGit([`--git-dir=${workspace.gitDir}`, `--work-tree=${workspace.path}`, ...args], { cwd: workspace.path, ...(signal ? { signal } : {}) });
  await git(["read-tree", "-u", "--reset", checkpoint.sha]);
  await git(["read-tree", workspace.baseSha]);
}

/** Removes the job's checkpoint once the job has ended for good (completed, failed, cancelled). */
export async function dropCheckpoint(repo: string, jobId: string): Promise<void> {
  await runHostGit(["update-ref", "-d", checkpointRef(jobId)], { cwd: repo, okCodes: [1] });
}
