import type { ConnectRouter } from "@connectrpc/connect";
import { openBus } from "./bus/open-bus.js";
import type { Config } from "../../shared/config/schema.js";
import type { Logger } from "../../shared/log.js";
import { serverOptionsFrom } from "../../shared/rpc/server-config.js";
import { startRpcServer } from "../../shared/rpc/server.js";
import { openStore } from "./store/open-store.js";
import { reportQueueDepths } from "../../shared/telemetry/metrics.js";
import { VERSION } from "../../shared/version.js";
import { committer } from "./commit.js";
import { registerControlPlane } from "./control-plane-routes.js";
import { expireApprovals } from "./approval-expiry.js";
import { reapLeases } from "./lease-reaper.js";
import { registerMeshForwarding } from "./mesh-forwarding.js";
import { SessionHub } from "./session-hub.js";

export interface ControlPlaneOptions {
  logger: Logger;
  /** Told the server's URL once it listens (port 0 picks a free port). */
  onListening?: (url: string) => void;
  /** Other services served on the same port (one-process mode). */
  extraRoutes?: (router: ConnectRouter) => void;
  staticDir?: string;
}

/**
 * The control plane as a service: store + bus + one RPC port, until the signal
 * aborts; then the server drains its streams and the store and bus close.
 */
export async function serveControlPlane(config: Config, signal: AbortSignal, options: ControlPlaneOptions): Promise<void> {
  const { logger } = options;
  const store = await openStore({
    databaseUrl: config.storage.databaseUrl,
    dataDir: config.storage.dataDir,
    defaultMaxAttempts: config.queues.defaultMaxAttempts,
    backoffBaseMs: config.queues.backoffBaseSeconds * 1000,
    backoffMaxMs: config.queues.backoffMaxSeconds * 1000,
    workerStaleMs: config.queues.workerStaleSeconds * 1000,
  });
  try {
    const bus = await openBus({
      natsUrl: config.bus.natsUrl,
      natsCredsFile: config.bus.natsCredsFile,
      natsToken: config.bus.natsToken,
      name: "pushpals-sessions",
      logger,
    });
    try {
      const hub = new SessionHub(bus, store, logger);
      const commit = committer(bus, (events) => hub.offerCommitted(events));
      const deps = { store, bus, hub, commit, config, logger, startedAt: Date.now(), version: VERSION };
      const server = await startRpcServer({
        ...serverOptionsFrom(config.server, logger, config.observability),
        staticDir: options.staticDir,
        register: (router) => {
          registerControlPlane(router, deps);
          const forwarded = registerMeshForwarding(router, config.mesh);
          if (forwarded.length > 0) logger.info({ forwarded }, "forwarding mesh services");
          options.extraRoutes?.(router);
        },
      });
      logger.info({ url: server.url, store: store.kind, bus: bus.kind }, "control plane listening");
      const stopDepths = reportQueueDepths(() => store.depths());
      options.onListening?.(server.url);
      try {
        const intervalMs = config.queues.pollSeconds * 1000;
        await Promise.all([reapLeases(store, commit, { intervalMs, logger, signal }), expireApprovals(store, commit, { intervalMs, logger, signal })]);
      } finally {
        stopDepths();
        await server.close();
      }
    } finally {
      await bus.close();
    }
  } finally {
    await store.close();
  }
}
