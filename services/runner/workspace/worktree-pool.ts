import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "../../../shared/log.js";
import { retryingWorktreeRace } from "../../../shared/worktree-race.js";
import { createWorktree, resolveBase, type WorktreeRequest } from "./create-worktree.js";
import { linkedGitDir } from "./git-dir.js";
import { workspaceGit } from "./git.js";
import type { JobWorkspace } from "./job-workspace.js";
import { jobBranch, jobWorktree, workerWorktrees } from "./paths.js";
import { removeJobWorkspace, removeWorktree } from "./remove-worktree.js";
import { removeIfEmpty } from "./sweep-worktrees.js";

export interface WorktreePoolOptions {
  repo: string;
  dataDir: string;
  workerId: string;
  /** What spares are checked out at (repo.baseBranch); resolved again at each refill. */
  baseRef: string;
  /**
   * What spares are checked out at instead, when jobs start elsewhere (the integration branch,
   * see start-point.ts): a spare at the jobs' start point is taken without touching a file.
   */
  spareStart?: () => Promise<string>;
  /** Spares kept ready; 0 turns the pool off (every job gets a fresh `git worktree add`). */
  size: number;
  /** runner.deleteJobBranches: `remove` also deletes the branch of a job that left no commit. */
  deleteJobBranches?: boolean;
  logger: Logger;
}

export interface WorktreePool {
  /** The job's worktree: a ready spare moved into place when there is one, else a fresh one. */
  create(request: Omit<WorktreeRequest, "repo" | "dataDir" | "workerId">): Promise<JobWorkspace & { warm: boolean }>;
  /** Removes a job's worktree when its run ended (and its branch, see removeJobWorkspace). */
  remove(workspace: JobWorkspace): Promise<void>;
  /** Makes spares until `size` are ready; runs in the background after each warm take. */
  refill(): Promise<void>;
  /** Removes the spares (at shutdown; a crash leaves them to the start-up sweep). */
  close(): Promise<void>;
}

interface Spare {
  path: string;
  sha: string;
  gitDir: string;
}

/** Spares live beside the worker's job worktrees, so the start-up sweep removes a crashed runner's too. */
const SPARE_PREFIX = "spare-";

/**
 * Warm worktrees. Checking out a repository is most of a job's start-up on a large repository
 * (a 10k-file `git worktree add` takes hundreds of ms, see bench/RESULTS.md), so the runner keeps
 * spares checked out at the base branch. Taking one is a rename (`git worktree move`) and two ref
 * writes when the job starts at the spare's commit (no file is touched: nothing ever ran in a
 * spare), or a checkout of just the files that differ when the base has moved on.
 */
export function worktreePool(options: WorktreePoolOptions): WorktreePool {
  const { repo, dataDir, workerId, logger } = options;
  const spares: Spare[] = [];
  let making = 0;
  let closed = false;
  let refilling: Promise<void> = Promise.resolve();

  async function makeSpare(): Promise<void> {
    const sha = await resolveBase(repo, options.spareStart ? await options.spareStart() : options.baseRef);
    const path = join(workerWorktrees(dataDir, workerId), `${SPARE_PREFIX}${randomBytes(6).toString("hex")}`);
    await mkdir(dirname(path), { recursive: true });
    await retryingWorktreeRace(() => workspaceGit(repo).raw(["worktree", "add", "--quiet", "--detach", path, sha]));
    const gitDir = await linkedGitDir(path);
    if (closed) await removeWorktree(repo, path);
    else spares.push({ path, sha, gitDir });
  }

  function refill(): Promise<void> {
    refilling = refilling.then(async () => {
      while (!closed && spares.length + making < options.size) {
        making += 1;
        try {
          await makeSpare();
        } catch (error) {
          logger.warn({ err: error }, "could not prepare a warm worktree; jobs get fresh ones meanwhile");
          return;
        } finally {
          making -= 1;
        }
      }
    });
    return refilling;
  }

  async function takeSpare(spare: Spare, request: { jobId: string; baseRef: string; signal?: AbortSignal }): Promise<JobWorkspace> {
    const path = jobWorktree(dataDir, workerId, request.jobId);
    const branch = jobBranch(workerId, request.jobId);
    if (existsSync(path)) await removeWorktree(repo, path);
    await mkdir(dirname(path), { recursive: true });
    // Independent steps side by side: on a busy machine each git process costs more than its work.
    const [baseSha] = await Promise.all([
      resolveBase(repo, request.baseRef, request.signal),
      retryingWorktreeRace(() => workspaceGit(repo).raw(["worktree", "move", spare.path, path])),
    ]);
    const git = workspaceGit(path);
    if (spare.sha === baseSha) {
      // The spare is pristine at this very commit: only HEAD has to name the job's branch.
      await Promise.all([
        git.raw(["update-ref", "-m", `pushpals: job ${request.jobId} starts at ${baseSha}`, `refs/heads/${branch}`, baseSha]),
        git.raw(["symbolic-ref", "HEAD", `refs/heads/${branch}`]),
      ]);
    } else {
      await git.raw(["checkout", "--quiet", "--force", "-B", branch, baseSha]);
    }
    return { path, branch, baseSha, gitDir: spare.gitDir };
  }

  return {
    async create(request) {
      const spare = spares.shift();
      const fresh = async () => ({ ...(await createWorktree({ ...request, repo, dataDir, workerId })), warm: false });
      if (!spare) {
        void refill();
        return fresh();
      }
      try {
        const workspace = await takeSpare(spare, request);
        void refill();
        return { ...workspace, warm: true };
      } catch (error) {
        if (request.signal?.aborted) throw error;
        logger.warn({ err: error, spare: spare.path }, "a warm worktree could not be used; making a fresh one");
        await removeWorktree(repo, spare.path).catch(() => undefined);
        await removeWorktree(repo, jobWorktree(dataDir, workerId, request.jobId)).catch(() => undefined);
        void refill();
        return fresh();
      }
    },
    remove: (workspace) => removeJobWorkspace(repo, workspace, { deleteBranch: options.deleteJobBranches === true }),
    refill,
    async close() {
      closed = true;
      await refilling;
      await Promise.all(spares.splice(0).map((spare) => removeWorktree(repo, spare.path)));
      await removeIfEmpty(workerWorktrees(dataDir, workerId));
    },
  };
}
