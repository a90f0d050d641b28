import { Code, ConnectError } from "@connectrpc/connect";
import { configuredClaimWaitMs } from "../../../shared/claim-wait.js";
import type { Logger } from "../../../shared/log.js";
import type { ServiceContext } from "../../../shared/service-definition.js";
import { sleep } from "../../../shared/time.js";
import { checkRunnerFromConfig } from "../checks/check-runner.js";
import type { RunCheck } from "../checks/run-check.js";
import { openIntegrator, type Integrator } from "../integrator.js";
import type { PullRequestProvider } from "../pull-requests/provider.js";
import { settingsFromConfig, type IntegrationSettings } from "../settings.js";
import { detectChecks } from "../checks/detect-checks.js";
import { runCompletionLoop } from "./completion-loop.js";
import { integrationWorkerId } from "./worker-id.js";

/** What a caller may put in place of the config's choices (tests: a fake GitHub; the benchmark: nothing). */
export interface WorkerOverrides {
  runCheck?: RunCheck;
  pullRequests?: PullRequestProvider;
  claimWaitMs?: number;
}

const OPEN_RETRY_FIRST_MS = 1_000;
const OPEN_RETRY_MAX_MS = 60_000;

/**
 * The integration service's loop: checks through the configured sandbox driver (after
 * sweeping what a crashed predecessor left), the integrator on its worktree, then
 * completions claimed and integrated until `signal` aborts.
 *
 * Something a person must fix before integration can start (no such remote, the branch
 * checked out elsewhere, another live integrator holding the worktree, no sandbox
 * driver here) is a FailedPrecondition: it is logged with what to do and retried with
 * capped backoff, so the rest of `pushpals up` keeps running and integration starts on
 * its own once it is fixed. Anything else is thrown, for the supervisor to restart.
 */
export async function runIntegrationWorker(context: ServiceContext, signal: AbortSignal, overrides: WorkerOverrides = {}): Promise<void> {
  const { config, clients } = context;
  const log = context.logger.child({ component: "integration-worker" });
  const settings = await withDetectedChecks(settingsFromConfig(config), log);
  const workerId = integrationWorkerId(settings.dataDir);

  const open = async (): Promise<Integrator> => {
    let runCheck = overrides.runCheck;
    if (!runCheck) {
      const runner = await checkRunnerFromConfig(config, workerId, log);
      const swept = await runner.sweep();
      if (swept > 0) log.warn({ swept, where: runner.where }, "removed check sandboxes a crashed integrator left behind");
      log.info({ where: runner.where, checks: settings.checks.length }, "checks run in the sandbox of this driver");
      runCheck = runner.runCheck;
    }
    return openIntegrator({ settings, runCheck, pullRequests: overrides.pullRequests, log });
  };
  const integrator = await untilOpen(open, log, signal);
  if (!integrator) return;
  try {
    await runCompletionLoop(
      {
        queues: clients.queues,
        sessions: clients.sessions,
        integrator,
        workerId,
        leaseMs: config.integration.leaseSeconds * 1000,
        maxConflictRounds: config.integration.maxConflictRounds,
        approvals: { client: clients.approvals, policy: config.approvals },
        claimWaitMs: overrides.claimWaitMs ?? configuredClaimWaitMs(config),
        log,
      },
      signal,
    );
  } finally {
    await integrator.close();
  }
}

/** integration.checks unset: the repository's test command, said in the log (the check's name says so in every merge event). */
async function withDetectedChecks(settings: IntegrationSettings, log: Logger): Promise<IntegrationSettings> {
  if (!settings.detectChecks) return settings;
  const detected = await detectChecks(settings.repoPath);
  if (!detected) {
    log.info("integration.checks is not set and the repository has no test command PushPals knows: merges run no checks (set integration.checks to choose some)");
    return settings;
  }
  log.info(
    { check: detected.name, command: detected.command, detectedFrom: detected.detectedFrom },
    `integration.checks is not set: merges run "${detected.command}", detected from ${detected.detectedFrom} (set integration.checks to choose, or checks = [] for none)`,
  );
  return { ...settings, checks: [{ name: detected.name, command: detected.command, timeoutMs: detected.timeoutMs }] };
}

/** Undefined when `signal` aborted before it could open. */
async function untilOpen(open: () => Promise<Integrator>, log: Logger, signal: AbortSignal): Promise<Integrator | undefined> {
  for (let delayMs = OPEN_RETRY_FIRST_MS; !signal.aborted; delayMs = Math.min(OPEN_RETRY_MAX_MS, delayMs * 2)) {
    try {
      return await open();
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.FailedPrecondition)) throw error;
      log.error({ err: error.rawMessage, retryInMs: delayMs }, `integration cannot start: ${error.rawMessage}`);
      await sleep(delayMs, signal);
    }
  }
  return undefined;
}
