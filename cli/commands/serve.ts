import { parseArgs } from "node:util";
import { serveControlPlane } from "../../services/sessions/serve-control-plane.js";
import { createLogger } from "../../services/kernel/log.js";
import { configFlagOptions, configFromFlags, exitOnConfigError } from "../config-flags.js";
import { runUntilSignal } from "../../supervisor/tree/run-until-signal.js";

const SERVICES = ["sessions"] as const;

export const serveUsage = `pushpals serve <service> [--port N] [--host H] [--repo DIR] [--data-dir DIR]

Runs one service alone (mesh mode runs each in its own process). Services: ${SERVICES.join(", ")}.`;

export async function serveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: configFlagOptions, allowPositionals: true });
  const service = positionals[0];
  if (!service || !(SERVICES as readonly string[]).includes(service)) {
    process.stderr.write(`pushpals serve: name a service (${SERVICES.join(", ")})\n\n${serveUsage}\n`);
    process.exit(2);
  }
  let config;
  try {
    config = configFromFlags(values);
  } catch (error) {
    exitOnConfigError(error);
  }
  const logger = createLogger(service);
  await runUntilSignal(
    {
      name: service,
      serve: (signal) =>
        serveControlPlane(config, signal, {
          logger,
          onListening: (url) => process.stdout.write(`pushpals ${service} listening on ${url}\n`),
        }),
    },
    { logger },
  );
}
