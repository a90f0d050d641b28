import { loadConfig } from "../../shared/config/load.js";
import type { Config } from "../../shared/config/schema.js";
import { createClients, type Clients } from "../../shared/clients.js";
import { createLogger } from "../../shared/log.js";
import { serveControlPlane } from "../../services/control-plane/serve-control-plane.js";
import { freshDatabase, type FreshDatabase } from "./postgres.js";
import { tempDir, type TempDir } from "./tmp.js";

export interface TestControlPlane {
  url: string;
  clients: Clients;
  config: Config;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  store?: "sqlite" | "postgres";
  natsUrl?: string;
  /** Reuse a database (several control planes on one Postgres). */
  databaseUrl?: string;
  env?: Record<string, string>;
  overrides?: Record<string, unknown>;
  /** Serve this folder's web UI at / (e.g. the built web/dist). */
  staticDir?: string;
}

/** A control plane in this process on a free port, with its own data dir and (for Postgres) its own database. */
export async function startTestControlPlane(options: ControlPlaneOptions = {}): Promise<TestControlPlane> {
  const dir: TempDir = await tempDir("pushpals-cp-");
  let database: FreshDatabase | undefined;
  let databaseUrl = options.databaseUrl ?? "";
  if (!databaseUrl && options.store === "postgres") {
    database = await freshDatabase("cp");
    databaseUrl = database.url;
  }
  const config = loadConfig({
    env: { PUSHPALS_PORT: "0", ...options.env },
    overrides: {
      "repo.path": dir.path,
      "storage.dataDir": dir.path,
      "storage.databaseUrl": databaseUrl,
      "bus.natsUrl": options.natsUrl ?? "",
      "queues.pollSeconds": 1,
      ...options.overrides,
    },
  });
  const controller = new AbortController();
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const served = serveControlPlane(config, controller.signal, {
    logger: createLogger("test-control-plane"),
    onListening: listening,
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
  });
  const started = await Promise.race([url, served.then(() => Promise.reject(new Error("control plane stopped before listening")))]);
  return {
    url: started,
    clients: createClients(started, { token: config.server.authToken || undefined }),
    config,
    async stop() {
      controller.abort();
      await served;
      await database?.drop();
      await dir.remove();
    },
  };
}
