import { join } from "node:path";
import { changePolicy } from "../../services/kernel/policy/index.js";
import type { ServiceContext, ServiceDefinition } from "../../services/kernel/service-definition.js";
import { dependencyCache } from "../environment/dependency-cache.js";
import type { SandboxDriver } from "../sandbox/driver.js";
import { selectDriver } from "../sandbox/select-driver.js";
import { resolveBase, worktreePool } from "../workspace/index.js";
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
  const workerId = workerIdFrom(config.supervisor.workerId);
  const logger = context.logger.child({ workerId });
  const repo = config.repo.path;
  // A missing base branch is a set-up problem to name now; the runner still starts (jobs that
  // name their own base_ref can run), and jobs without one fail saying the same.
  await resolveBase(repo, config.repo.baseBranch).catch((error: Error) =>
    logger.error({ repo, baseBranch: config.repo.baseBranch }, `${error.message}; jobs without a base_ref will fail until it exists (set repo.baseBranch or PUSHPALS_BASE_BRANCH)`),
  );
  const driver = overrides.driver ?? (await selectDriver(config.supervisor, logger));
  await sweepLeftovers({ repo, dataDir: config.storage.dataDir, workerId, driver, logger });
  const lanes = gateUnisolatedLanes({ ...(await makeLanes(config, logger)), ...overrides.lanes }, driver, config.supervisor, logger);
  const workspaces = worktreePool({
    repo,
    dataDir: config.storage.dataDir,
    workerId,
    baseRef: config.repo.baseBranch,
    size: config.supervisor.warmWorktrees,
    deleteJobBranches: config.supervisor.deleteJobBranches,
    logger,
  });
  void workspaces.refill();
  const ctx: RunnerContext = {
    clients: context.clients,
    workerId,
    repo,
    workspaces,
    baseBranch: config.repo.baseBranch,
    supervisor: config.supervisor,
    driver,
    lanes,
    sandboxEnv: sandboxEnv(config.supervisor.envAllowList, logger),
    identity: commitIdentity(config.supervisor.commitAuthor),
    gitDirGuard: gitDirGuard(repo),
    environment: config.environment,
    environments: dependencyCache(join(config.storage.dataDir, "environments"), logger),
    policy: changePolicy(config.policy),
    logger,
  };
  logger.info({ repo, driver: driver.name, concurrency: config.supervisor.concurrency }, "runner started");
  try {
    await runClaimLoop(ctx, signal, overrides);
  } finally {
    await workspaces.close();
    await ctx.environments.close();
  }
}

/** `pushpals up` runs this as a supervised child; `pushpals serve runner` alone. */
export const runnerService: ServiceDefinition = {
  name: "runner",
  run: (context: ServiceContext, signal: AbortSignal) => runRunner(context, signal),
};
