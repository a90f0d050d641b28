import { join } from "node:path";
import type { Config } from "../shared/config/schema.js";
import { packageRoot } from "../shared/paths.js";
import type { Logger } from "../shared/log.js";
import type { ServiceName } from "../shared/service-definition.js";
import { ChildProcessService } from "../supervisor/child-process-service.js";
import { Supervisor } from "../supervisor/supervisor.js";
import { freePort } from "./free-port.js";

const PUSHPALS_BIN = join(packageRoot(), "bin", "pushpals.js");

/** Services that serve RPCs of their own and so need a port; the runner only claims work. */
const WITH_PORTS = ["chat", "planner", "integration"] as const;

export interface MeshTree {
  root: Supervisor;
  controlPlaneUrl: string;
}

/**
 * Mesh mode: every service in its own process (`pushpals serve <name>`), talking
 * only through Connect and NATS with state in Postgres — what compose and
 * Kubernetes run. The control plane starts first and forwards the other services'
 * RPCs, so clients still need one URL.
 */
export async function buildMeshTree(config: Config, logger: Logger): Promise<MeshTree> {
  if (!config.storage.databaseUrl || !config.bus.natsUrl) {
    throw new Error("mesh mode needs shared state: set PUSHPALS_DATABASE_URL (postgres://…) and PUSHPALS_NATS_URL (nats://…)");
  }
  const host = config.server.host;
  const controlPlanePort = config.server.port || (await freePort(host));
  const ports = Object.fromEntries(await Promise.all(WITH_PORTS.map(async (name) => [name, await freePort(host)] as const)));
  const url = (port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const controlPlaneUrl = url(controlPlanePort);
  const env = {
    ...process.env,
    PUSHPALS_REPO: config.repo.path,
    PUSHPALS_DATA_DIR: config.storage.dataDir,
    PUSHPALS_WORK_DIR: config.storage.workDir,
    PUSHPALS_DATABASE_URL: config.storage.databaseUrl,
    PUSHPALS_NATS_URL: config.bus.natsUrl,
    PUSHPALS_CONTROL_PLANE_URL: controlPlaneUrl,
    PUSHPALS_CHAT_URL: url(ports.chat!),
    PUSHPALS_PLANNER_URL: url(ports.planner!),
    PUSHPALS_INTEGRATION_URL: url(ports.integration!),
    // Children's records come to us as JSON lines; our own log destination formats them.
    PUSHPALS_LOG_FORMAT: "json",
  };
  const root = new Supervisor({ name: "pushpals-mesh", logger, stopTimeoutMs: 15_000 });
  const child = (name: ServiceName, port: number | undefined) =>
    new ChildProcessService({
      name,
      command: process.execPath,
      // --repo and --data-dir also make each child findable by its command line (ps, pgrep -f).
      args: [PUSHPALS_BIN, "serve", name, "--exit-with-stdin", "--port", String(port ?? 0), "--repo", config.repo.path, "--data-dir", config.storage.dataDir],
      env,
      logger,
      killAfterMs: 10_000,
      readiness: { line: /listening on|running against/ },
    });
  root.add(child("sessions", controlPlanePort), { restart: "permanent" });
  for (const name of ["chat", "planner", "runner", "integration"] as const) {
    root.add(child(name, name === "runner" ? undefined : ports[name]), { restart: "permanent" });
  }
  return { root, controlPlaneUrl };
}
