import { invalidArgument } from "../../../shared/errors.js";
import { silentLogger, type Logger } from "../../../shared/log.js";
import type { Bus } from "./bus.js";
import { createMemoryBus } from "./memory-bus.js";
import { connectNatsBus } from "./nats-bus.js";

export interface OpenBusOptions {
  /** bus.natsUrl: empty for the in-process bus, nats://host:port (or tls://) for NATS. */
  natsUrl: string;
  /** bus.natsCredsFile and bus.natsToken: other ways to authenticate to NATS than credentials in the URL. */
  natsCredsFile?: string;
  natsToken?: string;
  /** Who is connecting (the service name); NATS shows it in its monitoring. */
  name: string;
  logger?: Logger;
}

export async function openBus(options: OpenBusOptions): Promise<Bus> {
  const logger = options.logger ?? silentLogger;
  const url = options.natsUrl.trim();
  if (url === "") {
    logger.info({ component: "bus" }, "bus: in-process (no NATS URL configured)");
    return createMemoryBus({ logger: logger.child({ component: "bus" }) });
  }
  // The Node transport speaks TCP (optionally TLS); WebSocket needs another client.
  if (!/^(nats|tls):\/\//i.test(url)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? "none";
    throw invalidArgument("bus.natsUrl", `must start with nats:// or tls:// (scheme here: ${scheme}); leave it empty for the in-process bus`);
  }
  return connectNatsBus({ url, credsFile: options.natsCredsFile, token: options.natsToken, name: options.name, logger });
}
