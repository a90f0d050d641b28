import { parseArgs } from "node:util";
import { redactNatsUrl } from "../../services/control-plane/bus/nats-credentials.js";
import { createClients } from "../../shared/clients.js";
import type { Config } from "../../shared/config/schema.js";
import { errorMessage } from "../../shared/errors.js";
import { hostGit } from "../../shared/git/host-git.js";
import { createLogger, type Logger } from "../../shared/log.js";
import type { ServiceContext, ServiceDefinition } from "../../shared/service-definition.js";
import { tracingFromConfig } from "../../shared/telemetry/tracing.js";
import { serveControlPlane } from "../../services/control-plane/serve-control-plane.js";
import { runUntilSignal } from "../../supervisor/run-until-signal.js";
import type { ReadinessReporting, Service } from "../../supervisor/service.js";
import { TerminateTree } from "../../supervisor/errors.js";
import { Supervisor } from "../../supervisor/supervisor.js";
import { configFlagOptions, configFromFlags, exitOnConfigError } from "../config-flags.js";
import { excludeDataDir } from "../exclude-data-dir.js";
import { legacyDataDir, migrateLegacyDataDir } from "../migrate-data-dir.js";
import { isDefaultDataDir, withRepoRoot } from "../repo-data-dir.js";
import { requireGitRepo } from "../git-repo-check.js";
import { buildMeshTree } from "../mesh-tree.js";
import { modelSummary } from "../model-summary.js";
import { sandboxSummary, type SandboxSummary } from "../sandbox-summary.js";
import { loadServices } from "../service-registry.js";
import { webUiDir } from "../web-ui-dir.js";

export const upUsage = `pushpals up [--mesh] [--repo DIR] [--port N] [--host H] [--data-dir DIR]

Runs the whole system in one process against the git repository in the current
directory (or --repo): control plane, chat, planner, job runner and integration,
under one supervision tree. Embedded by default (SQLite in the data dir, in-process
bus, local sandbox); with PUSHPALS_DATABASE_URL and PUSHPALS_NATS_URL set it runs
on Postgres and NATS. --mesh runs each service in its own process instead (needs
Postgres and NATS). Ctrl-C or SIGTERM stops everything cleanly.`;

export async function upCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...configFlagOptions, mesh: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return void process.stdout.write(`${upUsage}\n`);
  let config: Config;
  try {
    config = configFromFlags(values);
  } catch (error) {
    exitOnConfigError(error);
  }
  const repo = await requireGitRepo(config.repo.path).catch((error: Error) => {
    process.stderr.write(`pushpals up: ${error.message}\n`);
    process.exit(2);
  });
  config = await withoutMissingOrigin(withRepoRoot(config, repo));
  // No service binding here: the tree binds each service its own (see createLogger).
  const logger = createLogger();
  if (config.storage.databaseUrl === "" && isDefaultDataDir(config)) {
    await migrateLegacyDataDir({ repo, dataDir: config.storage.dataDir, logger }).catch((error: Error) => {
      process.stderr.write(`pushpals up: could not move the database of ${legacyDataDir(repo)} to ${config.storage.dataDir}: ${error.message}\n`);
      process.exit(2);
    });
  }
  await excludeDataDir(repo, config.storage.dataDir);
  const sandbox = await sandboxSummary(config.runner);
  let root: Supervisor;
  // In mesh mode each child traces itself (`pushpals serve` reads the same config).
  const tracing = tracingFromConfig(values.mesh ? { ...config.observability, tracing: false } : config.observability, "pushpals", logger);
  if (values.mesh) {
    try {
      const mesh = await buildMeshTree(config, logger);
      root = mesh.root;
      announce(mesh.controlPlaneUrl, config, { mode: "mesh: one process per service", hasUi: webUiDir() !== undefined, sandbox });
    } catch (error) {
      process.stderr.write(`pushpals up --mesh: ${(error as Error).message}\n`);
      process.exit(2);
    }
  } else {
    const hasUi = webUiDir() !== undefined;
    root = await buildTree(config, logger, await loadServices(), { onListening: (url) => announce(url, config, { mode: "one process", hasUi, sandbox }) });
  }
  const code = await runUntilSignal(root, { logger, exit: () => undefined });
  await tracing.shutdown();
  process.exitCode = code;
}

export interface TreeOptions {
  /** Called with the control plane's URL once it listens (`up` prints where everything is). */
  onListening: (url: string) => void;
}

/** The one-process tree: the control plane first (serving every service's routes), then each service's loop. */
export async function buildTree(config: Config, logger: Logger, services: ServiceDefinition[], options: TreeOptions): Promise<Supervisor> {
  const root = new Supervisor({ name: "pushpals", logger });
  let context: ServiceContext | undefined;
  const contextOf = (name: string): ServiceContext => {
    if (!context) throw new Error(`${name} asked for the control plane before it was listening`);
    return { ...context, logger: logger.child({ service: name }) };
  };
  const ui = webUiDir();

  const controlPlane: ReadinessReporting = {
    name: "sessions",
    reportsReadiness: true,
    async serve(signal, ready) {
      let listening = false;
      try {
        await serveControlPlane(config, signal, {
          logger: logger.child({ service: "sessions" }),
          staticDir: ui,
          extraRoutes: (router) => {
            for (const service of services) service.routes?.(router, () => contextOf(service.name));
          },
          onListening: (url) => {
            listening = true;
            context = { config, logger, controlPlaneUrl: url, clients: createClients(url, { token: config.server.authToken || undefined }) };
            options.onListening(url);
            ready?.();
          },
        });
      } catch (error) {
        // Once it served, a failure is the supervisor's to restart; one that never started
        // (the port is taken, the database unreachable) ends PushPals with the reason.
        if (listening) throw error;
        const reason = errorMessage(error);
        process.stderr.write(`pushpals up: the control plane could not start: ${reason}\n`);
        throw new TerminateTree(`the control plane could not start: ${reason}`, { cause: error, reported: true });
      }
    },
  };
  root.add(controlPlane, { restart: "permanent" });
  for (const service of services) {
    const run = service.run;
    if (!run) continue;
    const child: Service = { name: service.name, serve: (signal) => run.call(service, contextOf(service.name), signal) };
    root.add(child, { restart: "permanent" });
  }
  return root;
}

/**
 * A repository without the default remote still gets the whole system: integration merges into
 * its branch locally and pushes nothing, and the person is told so (a fresh `git init` has no
 * remote; without this the integration service would fail at start and take the tree down).
 */
async function withoutMissingOrigin(config: Config): Promise<Config> {
  if (config.integration.remote !== "origin") return config;
  const remotes = await hostGit(config.repo.path, ["remote"]);
  if (remotes.split("\n").includes("origin")) return config;
  process.stderr.write(
    `pushpals up: ${config.repo.path} has no remote "origin", so integration merges into ${config.integration.branch} locally and pushes nothing (add the remote, or set integration.remote)\n`,
  );
  return { ...config, integration: { ...config.integration, remote: "" } };
}

function announce(url: string, config: Config, { mode, hasUi, sandbox }: { mode: string; hasUi: boolean; sandbox: SandboxSummary }): void {
  // Not "is up" while the runner cannot make a sandbox: no job would run, and the runner waits for the fix.
  const headline = sandbox.problem
    ? `pushpals started on ${config.repo.path} (${mode}) but is NOT READY: jobs cannot run until the ${config.runner.driver} sandbox works (fix below; the runner retries on its own)`
    : `pushpals is up on ${config.repo.path} (${mode})`;
  process.stdout.write(
    [
      headline,
      ...(hasUi ? [`  web UI        ${url}/`] : []),
      `  gRPC/Connect  ${url}  (npx buf curl --protocol grpc --http2-prior-knowledge --list-services ${url})`,
      `  data          ${config.storage.dataDir}  (PUSHPALS_DATA_DIR)`,
      ...(config.storage.workDir !== config.storage.dataDir ? [`  worktrees     ${config.storage.workDir}  (PUSHPALS_WORK_DIR)`] : []),
      `  store         ${config.storage.databaseUrl ? "postgres" : `sqlite in ${config.storage.dataDir}`}`,
      `  bus           ${config.bus.natsUrl ? redactNatsUrl(config.bus.natsUrl) : "in-process"}`,
      `  model         ${modelSummary(config.llm)}`,
      `  sandbox       ${sandbox.line}`,
      `pushpals listening on ${url}`,
      "",
    ].join("\n"),
  );
}
