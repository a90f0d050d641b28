import type { ServiceContext } from "../../kernel/service-definition.js";
import { checkRunnerFromConfig } from "../checks/check-runner.js";
import type { RunCheck } from "../checks/run-check.js";
import { openIntegrator } from "../integrator.js";
import type { PullRequestProvider } from "../pull-requests/provider.js";
import { settingsFromConfig } from "../settings.js";
import { runCompletionLoop } from "./completion-loop.js";
import { integrationWorkerId } from "./worker-id.js";

/** What a caller may put in place of the config's choices (tests: a fake GitHub; the benchmark: nothing). */
export interface WorkerOverrides {
  runCheck?: RunCheck;
  pullRequests?: PullRequestProvider;
  claimWaitMs?: number;
}

/**
 * The integration service's loop: checks through the configured sandbox driver (after
 * sweeping what a crashed predecessor left), the integrator on its worktree, then
 * completions claimed and integrated until `signal` aborts. Throws (so the supervisor
 * restarts it) only for what a restart may fix.
 */
export async function runIntegrationWorker(context: ServiceContext, signal: AbortSignal, overrides: WorkerOverrides = {}): Promise<void> {
  const { config, clients } = context;
  const log = context.logger.child({ component: "integration-worker" });
  const settings = settingsFromConfig(config);
  const workerId = integrationWorkerId(settings.dataDir);
  let runCheck = overrides.runCheck;
  if (!runCheck) {
    const runner = await checkRunnerFromConfig(config, workerId, log);
    const swept = await runner.sweep();
    if (swept > 0) log.warn({ swept, where: runner.where }, "removed check sandboxes a crashed integrator left behind");
    log.info({ where: runner.where, checks: settings.checks.length }, "checks run in the sandbox of this driver");
    runCheck = runner.runCheck;
  }
  const integrator = await openIntegrator({ settings, runCheck, pullRequests: overrides.pullRequests, log });
  try {
    await runCompletionLoop(
      {
        queues: clients.queues,
        sessions: clients.sessions,
        integrator,
        workerId,
        leaseMs: config.integration.leaseSeconds * 1000,
        maxConflictRounds: config.integration.maxConflictRounds,
        claimWaitMs: overrides.claimWaitMs,
        log,
      },
      signal,
    );
  } finally {
    await integrator.close();
  }
}
