import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { createDemoProject } from "../../../cli/demo/demo-project.js";
import { defaultDataDir } from "../../../shared/config/data-dir.js";
import { createClients, type Clients } from "../../../shared/clients.js";
import { waitForServices as waitForEveryService } from "../../../shared/service-readiness.js";
import { packageRoot } from "../../../shared/paths.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../../dev/fake-model/scripted-model-server.js";
import { announcedUrl } from "../../support/announced-url.js";
import { freshDatabase, type FreshDatabase } from "../../support/postgres.js";
import { PUSHPALS_BIN } from "../../support/pushpals-process.js";
import { tempDir, type TempDir } from "../../support/tmp.js";
import { writeConfigDir } from "./config-dir.js";
import { leftoverProcesses } from "./processes.js";

export const E2E_SCRIPTS = join(packageRoot(), "tests", "fixtures", "e2e-scripts");
const SHARED_NATS_URL = "nats://127.0.0.1:4222";

export interface SystemOptions {
  /** A script file name under tests/fixtures/e2e-scripts/. */
  script: string;
  /** --mesh on Postgres + NATS (default), or the embedded one-process system on SQLite. */
  mode?: "mesh" | "embedded";
  /** Default: the shared NATS on 4222 (mesh mode only). */
  natsUrl?: string;
  /** Lease length of every queue (default 3 s; see config-dir.ts). */
  leaseSeconds?: number;
  /** More PUSHPALS_* settings for the system's process. */
  env?: Record<string, string>;
  /** More TOML appended to the run's local.toml (tables the environment cannot set). */
  extraToml?: string;
}

export interface SystemUnderTest {
  /** The control plane's URL: every client call goes here. */
  url: string;
  clients: Clients;
  /** The project's working repository (the one PushPals runs on) and its bare origin. */
  repo: string;
  remote: string;
  dataDir: string;
  dir: string;
  model: ScriptedModelServer;
  /** `pushpals up`'s own process. */
  up: ChildProcess;
  /** Every log line the system wrote (stderr of up and its children), for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** Stops up with SIGTERM (checking nothing is left) and starts it again on the same repository and data; its URL changes. */
  restart(): Promise<{ url: string; clients: Clients }>;
  /** Stops up with SIGTERM, then checks that nothing it started is left and cleans up. */
  stop(): Promise<void>;
}

/**
 * The whole PushPals as ONE child process of the test (`pushpals up [--mesh]`), on a
 * scratch copy of the demo project (a failing test, a bare origin), a fresh Postgres
 * database, a scripted model server in the test process and a config folder with
 * short leases. Build first: `npx tsc -p tsconfig.build.json` (npm test does it).
 */
export async function startSystem(options: SystemOptions): Promise<SystemUnderTest> {
  const mode = options.mode ?? "mesh";
  const dir = await tempDir(`pushpals-e2e-${mode}-`);
  const cleanups: (() => Promise<unknown>)[] = [() => dir.remove()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    return await start(mode, options, dir, cleanups, cleanUp);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function start(
  mode: "mesh" | "embedded",
  options: SystemOptions,
  dir: TempDir,
  cleanups: (() => Promise<unknown>)[],
  cleanUp: () => Promise<void>,
): Promise<SystemUnderTest> {
  const { repo, remote } = await createDemoProject(dir.path);
  // vitest.config.ts points XDG_STATE_HOME at a scratch folder: the default data dir is under it.
  const dataDir = defaultDataDir(repo);
  const configDir = join(dir.path, "config");
  await mkdir(configDir);
  await writeConfigDir(configDir, { leaseSeconds: options.leaseSeconds }, options.extraToml);
  const model = await startScriptedModelServer({ script: join(E2E_SCRIPTS, options.script) });
  cleanups.push(() => model.close());
  const database: FreshDatabase | undefined = mode === "mesh" ? await freshDatabase("e2e") : undefined;
  if (database) cleanups.push(() => database.drop());

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PUSHPALS_CONFIG_DIR: configDir,
    PUSHPALS_PORT: "0",
    PUSHPALS_LOG_LEVEL: "info",
    PUSHPALS_LLM_BASE_URL: model.url,
    PUSHPALS_LLM_MODEL: "pushpals-e2e",
    PUSHPALS_LLM_API_KEY: "e2e-key",
    PUSHPALS_DATABASE_URL: database?.url ?? "",
    PUSHPALS_NATS_URL: mode === "mesh" ? (options.natsUrl ?? SHARED_NATS_URL) : "",
    ...options.env,
  };
  const logFile = join(dir.path, "system.log");
  const log = createWriteStream(logFile);
  const args = [PUSHPALS_BIN, "up", ...(mode === "mesh" ? ["--mesh"] : []), "--repo", repo];
  const logTail = async (lines = 60) =>
    (await readFile(logFile, "utf8").catch(() => ""))
      .split("\n")
      .slice(-lines - 1)
      .join("\n");
  // A restart() starts another `up` on the same repository, data dir and database.
  let up!: ChildProcess;
  let exited!: Promise<unknown>;
  const launch = async (): Promise<string> => {
    up = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    up.stderr!.pipe(log, { end: false });
    exited = once(up, "exit");
    const url = await announcedUrl(up, { what: `pushpals ${args.slice(1).join(" ")}`, timeoutMs: 45_000 }).catch(async (error: Error) => {
      throw new Error(`${error.message}; its log:\n${await logTail()}`);
    });
    await waitForServices(url, mode, logTail);
    return url;
  };
  const stopUp = async () => {
    if (up.exitCode === null && up.signalCode === null) {
      up.kill("SIGTERM");
      const timer = setTimeout(() => up.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    }
    // Mesh children leave when their stdin closes; give them the time their own stop takes.
    const left = await leftoverProcesses(dataDir, 20_000);
    if (left.length > 0) throw new Error(`pushpals up left processes behind after SIGTERM:\n${left.join("\n")}`);
  };
  cleanups.push(async () => {
    if (up.exitCode === null && up.signalCode === null) {
      up.kill("SIGKILL");
      await exited;
    }
    // Its children leave once their stdin closes; whatever has not after a while is killed.
    await leftoverProcesses(dataDir, 10_000);
  });
  const url = await launch();

  let stopped = false;
  return {
    url,
    clients: createClients(url),
    repo,
    remote,
    dataDir,
    dir: dir.path,
    model,
    get up() {
      return up;
    },
    logTail,
    async restart() {
      await stopUp();
      const restarted = await launch();
      return { url: restarted, clients: createClients(restarted) };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await stopUp();
      } finally {
        log.end();
        // PUSHPALS_E2E_KEEP_LOGS=<dir> keeps each run's log for a look after the temp dir is gone.
        const keep = process.env.PUSHPALS_E2E_KEEP_LOGS;
        if (keep) await copyFile(logFile, join(keep, `${basename(dir.path)}.log`)).catch(() => undefined);
        await cleanUp();
      }
    },
  };
}

/** `up --mesh` prints the control plane's URL once it listens; the other services start after it. */
async function waitForServices(url: string, mode: "mesh" | "embedded", logTail: () => Promise<string>): Promise<void> {
  try {
    await waitForEveryService(createClients(url), { timeoutMs: 45_000, intervalMs: 200 });
  } catch (error) {
    throw new Error(`pushpals up (${mode}): ${(error as Error).message}; its log:\n${await logTail()}`);
  }
}
