import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createDemoProject } from "../../cli/demo/demo-project.js";
import { createClients, type Clients } from "../../shared/clients.js";
import { packageRoot } from "../../shared/paths.js";
import { waitForServices } from "../../shared/service-readiness.js";
import { announcedUrl } from "../../tests/support/announced-url.js";
import { benchDatabase, type BenchDatabase } from "./postgres-database.js";

export type PipelineMode = "embedded" | "mesh";

/** Model names per role, so one scripted server tells the planner's calls from the agent's. */
export const BENCH_MODELS = { planner: "bench-planner", agent: "bench-agent", chat: "bench-chat" } as const;

export interface PipelineSystem {
  mode: PipelineMode;
  url: string;
  clients: Clients;
  repo: string;
  remote: string;
  /** How long `pushpals up` took until every service answered. */
  startMs: number;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The defaults a person gets, plus the one check the benchmark wants: `true`, so the
 * figures are the system's own overhead. Leases, polls and drivers stay as shipped; where
 * bubblewrap is missing, auto's process driver may run the scripted agent on the scratch copy.
 */
const LOCAL_TOML = `
[runner]
allow_unisolated = true

[integration]
checks = [{ name = "noop", command = "true", timeout_seconds = 60 }]
`;

const PUSHPALS_BIN = join(packageRoot(), "bin", "pushpals.js");

/**
 * `pushpals up` (embedded: SQLite, in-process bus) or `pushpals up --mesh` (every service its
 * own process, Postgres + NATS) as a child of the benchmark, on a scratch copy of the demo
 * project with a bare origin, answered by the scripted model at `modelUrl`.
 */
export async function startPipelineSystem(options: { mode: PipelineMode; root: string; modelUrl: string; natsUrl: string }): Promise<PipelineSystem> {
  const { mode, root } = options;
  const { repo, remote } = await createDemoProject(root);
  const configDir = join(root, "config");
  await mkdir(configDir, { recursive: true });
  await copyFile(join(packageRoot(), "configs", "default.toml"), join(configDir, "default.toml"));
  await writeFile(join(configDir, "local.toml"), LOCAL_TOML);
  const database: BenchDatabase | undefined = mode === "mesh" ? await benchDatabase("pipeline") : undefined;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PUSHPALS_CONFIG_DIR: configDir,
    PUSHPALS_PORT: "0",
    PUSHPALS_LOG_LEVEL: "info",
    PUSHPALS_LLM_BASE_URL: options.modelUrl,
    PUSHPALS_LLM_API_KEY: "bench-key",
    PUSHPALS_LLM_MODEL: BENCH_MODELS.chat,
    PUSHPALS_PLANNER_LLM_MODEL: BENCH_MODELS.planner,
    PUSHPALS_AGENT_LLM_MODEL: BENCH_MODELS.agent,
    PUSHPALS_DATABASE_URL: database?.url ?? "",
    PUSHPALS_NATS_URL: mode === "mesh" ? options.natsUrl : "",
  };
  const logFile = join(root, "system.log");
  const log = createWriteStream(logFile);
  const logTail = async (lines = 40) =>
    (await readFile(logFile, "utf8").catch(() => ""))
      .split("\n")
      .slice(-lines - 1)
      .join("\n");
  const started = performance.now();
  const up = spawn(process.execPath, [PUSHPALS_BIN, "up", ...(mode === "mesh" ? ["--mesh"] : []), "--repo", repo], { env, stdio: ["ignore", "pipe", "pipe"] });
  up.stderr!.pipe(log);
  const exited = once(up, "exit");

  const stop = async () => {
    if (up.exitCode === null && up.signalCode === null) {
      up.kill("SIGTERM");
      const timer = setTimeout(() => up.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
    await database?.drop();
  };
  try {
    const url = await announcedUrl(up, { what: "pushpals up", timeoutMs: 60_000 });
    const clients = createClients(url);
    await waitForServices(clients, { timeoutMs: 60_000 });
    return { mode, url, clients, repo, remote, startMs: performance.now() - started, logTail, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; the system's log ends:\n${await logTail()}`);
  }
}
