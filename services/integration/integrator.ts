import { ensureWorkDir } from "../../shared/config/work-dir.js";
import { join } from "node:path";
import type { CompletionPayload } from "../../gen/pushpals/v1/items_pb.js";
import { failedPrecondition } from "../../shared/errors.js";
import { silentLogger, type Logger } from "../../shared/log.js";
import { systemClock, type Clock } from "../../shared/time.js";
import { hostRunCheck } from "./checks/host-run-check.js";
import type { RunCheck } from "./checks/run-check.js";
import { deleteFinishedBranch, type FinishedBranch } from "./branch-cleanup.js";
import type { IntegrationContext } from "./context.js";
import { remoteAccess } from "./git/credentials.js";
import { git } from "./git/run-git.js";
import { integrateCompletion, type IntegrateOptions } from "./integrate.js";
import type { IntegrationOutcome } from "./outcome.js";
import type { IntegrationProgress } from "./progress.js";
import { githubPullRequests } from "./pull-requests/github.js";
import type { PullRequestProvider } from "./pull-requests/provider.js";
import { repositoryFromRemoteUrl } from "./pull-requests/repository.js";
import { githubToken } from "./pull-requests/token.js";
import { integrationRefs } from "./refs.js";
import { validateSettings, worktreePath, type IntegrationSettings } from "./settings.js";
import { syncIntegration, type SyncState } from "./sync.js";
import { acquireWorktreeLock } from "./worktree-lock.js";
import { ensureWorktree, resetWorktree } from "./worktree.js";

export interface IntegratorOptions {
  settings: IntegrationSettings;
  /** How checks run; default: on the host, in their own process group. */
  runCheck?: RunCheck;
  /** Default: from settings.pullRequests (GitHub or none). */
  pullRequests?: PullRequestProvider;
  log?: Logger;
  clock?: Clock;
}

export interface Integrator {
  readonly worktree: string;
  /** One completion, with progress as it happens; the generator's return value is the outcome. */
  run(completion: CompletionPayload, options?: IntegrateOptions): AsyncGenerator<IntegrationProgress, IntegrationOutcome>;
  /** One completion; `onProgress` sees every step (awaited, so it may record events). */
  integrate(completion: CompletionPayload, options?: IntegrateOptions & { onProgress?: (progress: IntegrationProgress) => unknown }): Promise<IntegrationOutcome>;
  /** Fetch and sync the integration branch with the base (also done by every integrate). */
  sync(signal?: AbortSignal): Promise<SyncState>;
  /** The integration branch's current commit ("" before the first sync). */
  head(): Promise<string>;
  /** integration.deleteJobBranches: whether finished jobs' branches are deleted. */
  readonly deletesJobBranches: boolean;
  /** Deletes branches of finished jobs (see branch-cleanup.ts for what is always kept); never throws. */
  deleteJobBranches(branches: readonly FinishedBranch[], log?: Logger): Promise<void>;
  /** Releases the worktree lock; waits for a running integration to finish. */
  close(): Promise<void>;
}

/**
 * Validates the settings, takes the worktree lock (a dead holder's lock is taken over)
 * and creates the worktree. Calls on one integrator run one at a time.
 */
export async function openIntegrator(options: IntegratorOptions): Promise<Integrator> {
  const { settings } = options;
  await validateSettings(settings);
  const lock = await acquireWorktreeLock(join(settings.dataDir, "integration.lock"));
  try {
    await ensureWorkDir(settings.workDir);
    const ctx = await buildContext(options);
    const start = await git(settings.repoPath, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).catch(() => {
      throw failedPrecondition(`${settings.repoPath} has no commits yet; commit something to ${settings.baseBranch} first`);
    });
    await ensureWorktree(settings.repoPath, ctx.worktree, start);
    await resetWorktree(ctx.worktree, "HEAD");
    return integratorOn(ctx, lock.release);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

function integratorOn(ctx: IntegrationContext, releaseLock: () => Promise<void>): Integrator {
  let queue: Promise<void> = Promise.resolve();
  let closed = false;

  /** Waits for every earlier caller; the returned function hands the worktree to the next one. */
  async function takeTurn(): Promise<() => void> {
    if (closed) throw failedPrecondition("this integrator is closed; open a new one");
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = queue;
    queue = previous.then(() => turn);
    await previous;
    return release;
  }

  async function* run(completion: CompletionPayload, options: IntegrateOptions = {}) {
    const release = await takeTurn();
    try {
      return yield* integrateCompletion(ctx, completion, options);
    } finally {
      release();
    }
  }

  return {
    worktree: ctx.worktree,
    run,
    async integrate(completion, options = {}) {
      const steps = run(completion, options);
      const log = options.log ?? ctx.log.child({ jobId: completion.jobId, completionId: options.completionId ?? "" });
      for (;;) {
        const next = await steps.next();
        if (next.done) return next.value;
        const progress = next.value;
        log.info(describe(progress), "integration progress");
        await options.onProgress?.(progress);
      }
    },
    async sync(signal) {
      const release = await takeTurn();
      try {
        await resetWorktree(ctx.worktree, "HEAD");
        return await syncIntegration(ctx, signal);
      } finally {
        release();
      }
    },
    async head() {
      return git(ctx.worktree, ["rev-parse", "--verify", "--quiet", ctx.refs.integration]).catch(() => "");
    },
    deletesJobBranches: ctx.settings.deleteJobBranches,
    async deleteJobBranches(branches, log = ctx.log) {
      if (!ctx.settings.deleteJobBranches) return;
      for (const branch of branches) await deleteFinishedBranch(ctx.settings, branch, log);
    },
    async close() {
      if (closed) return;
      const release = await takeTurn();
      closed = true;
      release();
      await releaseLock();
    },
  };
}

function describe(progress: IntegrationProgress): Record<string, unknown> {
  if (progress.case === "pullRequestUpdated") return { stage: "pull_request", url: progress.value.url, created: progress.value.created };
  return { stage: progress.value.stage, detail: progress.value.detail };
}

async function buildContext(options: IntegratorOptions): Promise<IntegrationContext> {
  const { settings } = options;
  const log = options.log ?? silentLogger;
  const remote = settings.remote
    ? {
        name: settings.remote,
        access: await remoteAccess(settings.dataDir, { username: settings.push.username, token: settings.push.token }),
        token: settings.push.token,
      }
    : undefined;
  return {
    settings,
    refs: integrationRefs(settings),
    worktree: worktreePath(settings),
    remote,
    identity: {
      GIT_AUTHOR_NAME: settings.committer.name,
      GIT_AUTHOR_EMAIL: settings.committer.email,
      GIT_COMMITTER_NAME: settings.committer.name,
      GIT_COMMITTER_EMAIL: settings.committer.email,
    },
    runCheck: options.runCheck ?? hostRunCheck,
    pullRequests: options.pullRequests ?? (await defaultPullRequests(settings)),
    log,
    clock: options.clock ?? systemClock,
  };
}

async function defaultPullRequests(settings: IntegrationSettings): Promise<PullRequestProvider | undefined> {
  if (settings.pullRequests.provider === "none") return undefined;
  let repository = settings.pullRequests.repository;
  if (!repository) {
    const url = await git(settings.repoPath, ["remote", "get-url", settings.remote]);
    repository = repositoryFromRemoteUrl(url) ?? "";
    if (!repository) {
      throw failedPrecondition(`cannot tell the GitHub repository from remote ${settings.remote}'s URL; set integration.pullRequests.repository = "owner/name"`);
    }
  }
  return githubPullRequests({ apiUrl: settings.pullRequests.apiUrl, repository, token: githubToken(settings.pullRequests.token) });
}
