import { ensureWorkDir } from "../../shared/config/work-dir.js";
import { configuredClaimWaitMs } from "../../shared/claim-wait.js";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "../../shared/log.js";
import { join } from "node:path";
import { changePolicy } from "../../shared/policy/index.js";
import { sleep } from "../../shared/time.js";
import type { ServiceContext, ServiceDefinition } from "../../shared/service-definition.js";
import { dependencyCache } from "./environment/dependency-cache.js";
import type { SandboxDriver } from "../../sandbox/driver.js";
import { selectDriver } from "../../sandbox/select-driver.js";
import { chooseStartPoint, resolveBase, worktreePool } from "./workspace/index.js";
import { commitIdentity } from "./commit-identity.js";
import { gitDirGuard } from "./git-dir-guard.js";
import type { Lane } from "./lanes/lane.js";
import { makeLanes } from "./lanes/lanes.js";
import { gateUnisolatedLanes } from "./lanes/unisolated-gate.js";
import type { RunnerContext } from "./runner-context.js";
import { runClaimLoop, type RunnerLoopOptions } from "./runner.js";
import { sandboxEnv } from "./sandbox-env.js";
import { sweepLeftovers } from "./sweep-leftovers.js";
import { workerIdFrom } from "./worker-id.js";

/** What tests and benchmarks may put in place of the configured parts. */
export interface RunnerOverrides extends RunnerLoopOptions {
  driver?: SandboxDriver;
  lanes?: Partial<Record<Lane["name"], Lane>>;
}

/**
 * The job runner: registers as a worker, sweeps what a crashed runner with its id left, then
 * claims jobs and runs each in a worktree and a sandbox until the signal aborts.
 */
export async function runRunner(context: ServiceContext, signal: AbortSignal, overrides: RunnerOverrides = {}): Promise<void> {
  const { config } = context;
  const workerId = workerIdFrom(config.runner.workerId);
  const logger = context.logger.child({ workerId });
  const repo = config.repo.path;
  // A missing base branch is a set-up problem to name now; the runner still starts (jobs that
  // name their own base_ref can run), and jobs without one fail saying the same.
  await resolveBase(repo, config.repo.baseBranch).catch((error: Error) =>
    logger.error({ repo, baseBranch: config.repo.baseBranch }, `${error.message}; jobs without a base_ref will fail until it exists (set repo.baseBranch or PUSHPALS_BASE_BRANCH)`),
  );
  const driver = overrides.driver ?? (await untilDriverReady(config.runner, logger, signal));
  if (!driver) return;
  // Worktrees live in the work dir (storage.workDir), which is the data dir unless its path has a dot directory.
  await ensureWorkDir(config.storage.workDir);
  await sweepLeftovers({ repo, dataDir: config.storage.workDir, workerId, driver, logger });
  const lanes = gateUnisolatedLanes({ ...(await makeLanes(config, logger)), ...overrides.lanes }, driver, config.runner, logger);
  const startPoint = (signal?: AbortSignal) =>
    chooseStartPoint({ repo, baseBranch: config.repo.baseBranch, integrationBranch: config.integration.branch, mode: config.runner.base, signal });
  const workspaces = worktreePool({
    repo,
    dataDir: config.storage.workDir,
    workerId,
    baseRef: config.repo.baseBranch,
    spareStart: async () => (await startPoint()).sha ?? config.repo.baseBranch,
    size: config.runner.warmWorktrees,
    deleteJobBranches: config.runner.deleteJobBranches,
    logger,
  });
  void workspaces.refill();
  const ctx: RunnerContext = {
    clients: context.clients,
    workerId,
    repo,
    workspaces,
    baseBranch: config.repo.baseBranch,
    startPoint,
    supervisor: config.runner,
    driver,
    lanes,
    sandboxEnv: sandboxEnv(config.runner.envAllowList, logger),
    identity: commitIdentity(config.runner.commitAuthor),
    gitDirGuard: gitDirGuard(repo),
    environment: config.environment,
    // Beside the worktrees (storage.workDir): a restore links files, which needs one file system.
    environments: dependencyCache(join(config.storage.workDir, "environments"), logger),
    approvals: config.approvals,
    policy: changePolicy(config.policy),
    logger,
  };
  logger.info({ repo, driver: driver.name, concurrency: config.runner.concurrency }, "runner started");
  try {
    await runClaimLoop(ctx, signal, { claimWaitMs: configuredClaimWaitMs(config), ...overrides });
  } finally {
    await workspaces.close();
    await ctx.environments.close();
  }
}

const DRIVER_RETRY_FIRST_MS = 1_000;
const DRIVER_RETRY_MAX_MS = 60_000;

/**
 * The configured sandbox driver, waited for while it cannot run here (docker with no engine yet):
 * a FailedPrecondition is a fix for the person, logged with what to do and retried with capped
 * backoff, instead of failing the runner into a restart loop. Undefined when `signal` aborted first.
 */
async function untilDriverReady(settings: RunnerContext["supervisor"], logger: Logger, signal: AbortSignal): Promise<SandboxDriver | undefined> {
  for (let delayMs = DRIVER_RETRY_FIRST_MS; !signal.aborted; delayMs = Math.min(DRIVER_RETRY_MAX_MS, delayMs * 2)) {
    try {
      return await selectDriver(settings, logger);
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.FailedPrecondition)) throw error;
      logger.error({ driver: settings.driver, retryInMs: delayMs }, `the runner cannot start: ${error.rawMessage}`);
      await sleep(delayMs, signal);
    }
  }
  return undefined;
}

/** `pushpals up` runs this as a supervised child; `pushpals serve runner` alone. */
export const runnerService: ServiceDefinition = {
  name: "runner",
  run: (context: ServiceContext, signal: AbortSignal) => runRunner(context, signal),
};
