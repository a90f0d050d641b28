import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../../shared/errors.js";
import { runHostGit } from "../../shared/git/host-git.js";
import type { Logger } from "../../shared/log.js";
import { quoteFailureOutput } from "../../shared/text/summary-first.js";
import { environmentCacheKey } from "./environment/cache-key.js";
import { insideWorktree, type CacheRestore, type DependencyCache } from "./environment/dependency-cache.js";
import { ENVIRONMENT_HOME, type JobEnvironment } from "./environment/job-environment.js";
import { resolveEnvironment } from "./environment/resolve-environment.js";
import { sandboxHome } from "./environment/sandbox-home.js";
import type { Sandbox, SandboxDriver } from "../../sandbox/driver.js";
import type { JobWorkspace } from "./workspace/index.js";
import type { EnvironmentSection } from "../../shared/config/sections/environment.js";
import type { JobEvents } from "./job-events.js";
import { JobFailure } from "./job-failure.js";
import type { JobLog } from "./job-log.js";
import type { JobStop } from "./job-stop.js";
import { runLoggedCommand } from "./logged-command.js";
import { UNISOLATED_WAYS_OUT } from "./lanes/unisolated-gate.js";

/** Why a job under the process driver gets no setup phase without the opt-in, and what to do. */
export const UNISOLATED_SETUP =
  "the process driver would run the repository's setup commands (and its packages' install scripts) on this host with the runner's rights, " +
  `so there is no setup phase; ${UNISOLATED_WAYS_OUT}`;

export interface SetupStageOptions {
  jobId: string;
  owner: string;
  repo: string;
  workspace: JobWorkspace;
  driver: SandboxDriver;
  config: EnvironmentSection;
  cache: DependencyCache;
  /** The runner's allow-listed environment, the base of both phases. */
  sandboxEnv: Record<string, string>;
  /** The runner's own environment, where setup secrets are read (by name). */
  hostEnv: NodeJS.ProcessEnv;
  /** runner.allowUnisolated: whether the repository's setup may run under the process driver, on this host. */
  allowUnisolated: boolean;
  maxOutputBytes: number;
  log: JobLog;
  events: JobEvents;
  stop: JobStop;
  logger: Logger;
}

/** What the agent phase's sandbox gets from the environment. */
export interface PreparedEnvironment {
  environment: JobEnvironment;
  /** The agent sandbox's whole environment: the runner's allow-list, the spec's env, HOME. Never a setup secret. */
  sandboxEnv: Record<string, string>;
  /** Empty: the driver's. */
  image: string;
}

/**
 * The setup phase, between the worktree and the agent's sandbox: the environment resolved at the
 * base commit, a cached one restored (then only its maintenance commands run) or setup run, in a
 * sandbox of the job's driver of its own (a setup pod under kubernetes), the only one with network
 * and with the setup secrets, stopped before the agent's starts. Its time is a budget of its own (setup_budget_seconds);
 * a failing command fails the job with its output's summary. Undefined: nothing to set up.
 */
export async function runSetupStage(options: SetupStageOptions): Promise<PreparedEnvironment | undefined> {
  const { workspace, driver, log, events, stop, logger } = options;
  const environment = await resolveEnvironment({ repo: options.repo, baseSha: workspace.baseSha, config: options.config, signal: stop.signal });
  if (!environment) return undefined;
  const started = performance.now();
  const home = sandboxHome(driver.name, workspace.path);
  const prepared: PreparedEnvironment = { environment, sandboxEnv: { ...options.sandboxEnv, ...environment.env, HOME: home }, image: environment.image };

  if (driver.name === "process" && !options.allowUnisolated) {
    // The repository's commands (a spec, or npm's install scripts) would run with the runner's rights.
    await events.stage("setup", `${environment.description}: skipped, ${UNISOLATED_SETUP}`);
    return undefined;
  }

  await mkdir(join(workspace.path, ENVIRONMENT_HOME), { recursive: true });
  const key = environmentCacheKey(options.repo, driver.name, environment);
  const restored = environment.cache.length > 0 ? await restoreCached(options, key, environment) : undefined;
  const commands = restored ? environment.maintenance : environment.setup;
  const what = restored
    ? `reused the cached environment ${key.slice(0, 12)} (${restored.paths.join(", ") || "nothing cached"}: ${restored.files} files, ${restored.method}${restored.prepared ? ", linked ahead" : ""}) in ${restored.ms} ms` +
      (commands.length > 0 ? `; ${commands.length} maintenance command${commands.length === 1 ? "" : "s"}` : "")
    : `${commands.length} setup command${commands.length === 1 ? "" : "s"} with network${environment.cache.length > 0 ? `, no cached environment ${key.slice(0, 12)} yet` : ""}`;
  await events.stage("setup", `${environment.description}: ${what}`);

  if (commands.length > 0) await runPhaseCommands(options, environment, prepared, commands, restored ? "maintenance" : "setup");
  if (!restored && environment.cache.length > 0) {
    try {
      const saved = await options.cache.save(key, workspace.path, environment.cache, stop.signal);
      await log.system(
        `[setup] cached ${environment.cache.join(", ")} as environment ${key.slice(0, 12)} (${saved.files} files, ${saved.bytes} bytes) in ${saved.ms} ms, for the next jobs`,
      );
    } catch (error) {
      stop.throwIfStopped();
      logger.warn({ err: error, key }, "could not cache the job's environment; the job goes on, the next one runs setup again");
    }
  }
  const ms = Math.round(performance.now() - started);
  await log.system(`[setup] done in ${ms} ms (${restored ? "cached environment" : "fresh setup"})`);
  logger.info({ ms, cached: restored !== undefined, key, source: environment.source }, "job environment ready");
  return prepared;
}

async function restoreCached(options: SetupStageOptions, key: string, environment: JobEnvironment): Promise<CacheRestore | undefined> {
  try {
    return await options.cache.restore(key, options.workspace.path, environment.cache, options.stop.signal);
  } catch (error) {
    options.stop.throwIfStopped();
    options.logger.warn({ err: error, key }, "could not restore the cached environment; running setup instead");
    return undefined;
  }
}

/** Setup (or maintenance) commands in order, in a sandbox with network and the setup secrets, within the setup budget. */
async function runPhaseCommands(
  options: SetupStageOptions,
  environment: JobEnvironment,
  prepared: PreparedEnvironment,
  commands: string[],
  kind: "setup" | "maintenance",
): Promise<void> {
  const { driver, log, stop } = options;
  const secrets = Object.fromEntries(environment.setupSecrets.flatMap((name) => (options.hostEnv[name] !== undefined ? [[name, options.hostEnv[name]!]] : [])));
  const missing = environment.setupSecrets.filter((name) => options.hostEnv[name] === undefined);
  if (missing.length > 0) await log.system(`[setup] setup secret${missing.length === 1 ? "" : "s"} ${missing.join(", ")} not set in the runner's environment; running without`);
  const budgetMs = environment.setupBudgetSeconds * 1000;
  const deadline = performance.now() + budgetMs;
  let sandbox: Sandbox;
  try {
    sandbox = await driver.start(
      {
        jobId: options.jobId,
        owner: options.owner,
        worktree: options.workspace.path,
        env: prepared.sandboxEnv,
        network: true,
        phase: "setup",
        ...(prepared.image ? { image: prepared.image } : {}),
        logger: options.logger,
      },
      stop.signal,
    );
  } catch (error) {
    stop.throwIfStopped();
    throw new JobFailure(`the ${driver.name} sandbox of the setup phase would not start: ${errorMessage(error)}`, "retry", { cause: error });
  }
  try {
    await sandbox.copyIn(options.workspace.path);
    for (const [index, command] of commands.entries()) {
      const left = Math.round(deadline - performance.now());
      if (left <= 0) throw budgetSpent(environment, kind, command);
      await log.system(`[setup] ${kind} command ${index + 1} of ${commands.length}: $ ${command}`);
      // Secrets per command, not in the sandbox's environment: nothing started from it keeps them.
      const result = await runLoggedCommand(sandbox, command, {
        log,
        signal: stop.signal,
        timeoutMs: left,
        maxOutputBytes: options.maxOutputBytes,
        ...(Object.keys(secrets).length > 0 ? { env: secrets } : {}),
      });
      stop.throwIfStopped();
      if (result.timedOut) throw budgetSpent(environment, kind, command, quoteFailureOutput(result.summary, result.tail));
      if (result.exitCode !== 0) {
        throw new JobFailure(
          `${kind} command ${index + 1} of ${commands.length} \`${command}\` (${environment.description}) failed with exit code ${result.exitCode}\n${quoteFailureOutput(result.summary, result.tail)}`,
          "final",
        );
      }
    }
    await sandbox.copyOut(options.workspace.path);
  } finally {
    // Before the agent's sandbox starts: with it go the network and whatever setup left running.
    await sandbox.stop();
  }
}

function budgetSpent(environment: JobEnvironment, kind: string, command: string, output = ""): JobFailure {
  return new JobFailure(
    `the setup phase ran out of its budget of ${environment.setupBudgetSeconds} s during ${kind} command \`${command}\`; raise setup_budget_seconds in ${environment.source === "config" ? "[environment]" : ".pushpals/environment.toml"}, or make setup faster${output ? `\n${output}` : ""}`,
    "final",
  );
}

/**
 * Takes the environment out of the worktree before its change is inspected: the setup home and
 * every cache path the base commit does not track (node_modules, .venv) are the environment's,
 * never part of a change, whether or not the repository's .gitignore names them.
 */
export async function clearEnvironment(repo: string, workspace: JobWorkspace, environment: JobEnvironment, signal: AbortSignal): Promise<void> {
  const local = environment.cache.filter((path) => !path.startsWith("~/"));
  const tracked =
    local.length === 0
      ? ""
      : (await runHostGit(["ls-tree", "--name-only", workspace.baseSha, "--", ...local.map((path) => path.replace(/\/+$/, ""))], { cwd: repo, signal })).stdout;
  const trackedPaths = new Set(tracked.split("\n").filter(Boolean));
  for (const path of local) {
    if (trackedPaths.has(path.replace(/\/+$/, ""))) continue;
    // A parent that a command made a symlink out of the worktree is not followed: nothing is removed there.
    const host = await insideWorktree(workspace.path, path, false).catch(() => undefined);
    if (host) await rm(host, { recursive: true, force: true });
  }
  await rm(join(workspace.path, ENVIRONMENT_HOME), { recursive: true, force: true });
}
