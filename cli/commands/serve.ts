import { parseArgs } from "node:util";
import { createClients } from "../../shared/clients.js";
import type { Config } from "../../shared/config/schema.js";
import { createLogger, type Logger } from "../../shared/log.js";
import { serverOptionsFrom } from "../../shared/rpc/server-config.js";
import { startRpcServer } from "../../shared/rpc/server.js";
import type { ServiceContext, ServiceDefinition, ServiceName } from "../../shared/service-definition.js";
import { serveControlPlane } from "../../services/control-plane/serve-control-plane.js";
import { sleep } from "../../shared/time.js";
import { tracingFromConfig } from "../../shared/telemetry/tracing.js";
import { runUntilSignal } from "../../supervisor/run-until-signal.js";
import { configFlagOptions, configFromFlags, exitOnConfigError } from "../config-flags.js";
import { SERVICE_NAMES, SERVICES } from "../service-registry.js";
import { webUiDir } from "../web-ui-dir.js";

export const serveUsage = `pushpals serve <service> [--port N] [--host H] [--repo DIR] [--data-dir DIR] [--control-plane URL]

Runs one service alone, as mesh mode does (each service in its own process or pod).
Services: ${SERVICE_NAMES.join(", ")}. Every service but sessions needs the control
plane's URL (--control-plane or PUSHPALS_CONTROL_PLANE_URL).`;

export async function serveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...configFlagOptions,
      "control-plane": { type: "string" },
      // Set by `pushpals up --mesh`: a parent killed with SIGKILL closes our stdin, and we must not outlive it.
      "exit-with-stdin": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void process.stdout.write(`${serveUsage}\n`);
  const name = positionals[0] as ServiceName | undefined;
  if (!name || !SERVICE_NAMES.includes(name)) {
    process.stderr.write(`pushpals serve: name a service (${SERVICE_NAMES.join(", ")})\n\n${serveUsage}\n`);
    process.exit(2);
  }
  let config: Config;
  try {
    config = configFromFlags(values);
  } catch (error) {
    exitOnConfigError(error);
  }
  if (values["control-plane"]) config = { ...config, mesh: { ...config.mesh, controlPlaneUrl: values["control-plane"] } };
  const logger = createLogger(name);
  const serve = name === "sessions" ? controlPlaneAlone(config, logger) : await serviceAlone(name, config, logger);
  const root = { name, serve };
  if (values["exit-with-stdin"]) {
    process.stdin.resume();
    process.stdin.once("close", () => process.kill(process.pid, "SIGTERM"));
  }
  const tracing = tracingFromConfig(config.observability, `pushpals-${name}`, logger);
  const code = await runUntilSignal(root, { logger, exit: () => undefined });
  await tracing.shutdown();
  process.exit(code);
}

function controlPlaneAlone(config: Config, logger: Logger) {
  return (signal: AbortSignal) =>
    serveControlPlane(config, signal, {
      logger,
      // The mesh's (and a pod's) control plane serves the web UI on its port too.
      staticDir: webUiDir(),
      onListening: (url) => process.stdout.write(`pushpals sessions listening on ${url}\n`),
    });
}

async function serviceAlone(name: Exclude<ServiceName, "sessions">, config: Config, logger: Logger) {
  const definition: ServiceDefinition = await SERVICES[name]();
  const controlPlaneUrl = config.mesh.controlPlaneUrl;
  if (!controlPlaneUrl) {
    process.stderr.write(`pushpals serve ${name}: set the control plane's URL with --control-plane or PUSHPALS_CONTROL_PLANE_URL\n`);
    process.exit(2);
  }
  const context: ServiceContext = {
    config,
    logger,
    controlPlaneUrl,
    clients: createClients(controlPlaneUrl, { token: config.server.authToken || undefined }),
  };
  return async (signal: AbortSignal) => {
    // A service without RPCs (the runner) still gets a port when it has metrics to serve.
    const server =
      definition.routes || config.observability.metrics
        ? await startRpcServer({
            ...serverOptionsFrom(config.server, logger, config.observability),
            register: (router) => definition.routes?.(router, () => context),
          })
        : undefined;
    if (server) process.stdout.write(`pushpals ${name} listening on ${server.url}\n`);
    else process.stdout.write(`pushpals ${name} running against ${controlPlaneUrl}\n`);
    try {
      if (definition.run) await definition.run(context, signal);
      else while (!signal.aborted) await sleep(60_000, signal);
    } finally {
      await server?.close();
    }
  };
}
