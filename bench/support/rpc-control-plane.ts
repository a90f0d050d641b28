import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventLoopUtilization } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { createClients, type Clients } from "../../shared/clients.js";
import { benchDatabase, type BenchDatabase } from "./postgres-database.js";
import type { ControlPlaneWorkerData, FromControlPlaneWorker, ToControlPlaneWorker } from "./rpc-control-plane-messages.js";

export type BenchStore = "sqlite" | "postgres";

export interface BenchControlPlaneOptions {
  store: BenchStore;
  /** Empty or unset: the in-process bus. */
  natsUrl?: string;
  /** Label in the Postgres database's name. */
  label: string;
  /** Postgres: share this database (another plane's) instead of making one; it is left for its owner to drop. */
  databaseUrl?: string;
}

export interface BenchControlPlane {
  url: string;
  store: BenchStore;
  bus: "memory" | "nats";
  /** The SQLite file (store "sqlite") — for bulk-loading a backlog beside the server. */
  sqliteFile?: string;
  /** The Postgres database (store "postgres"). */
  databaseUrl?: string;
  /** A new set of clients on their own HTTP/2 connection (each call opens one). */
  connect(): Clients;
  /** The control plane thread's event-loop utilisation since `since` (or since it started). */
  busy(since?: EventLoopUtilization): EventLoopUtilization;
  /** Stops the server, waits for its thread to end, drops the database and removes the data dir. */
  stop(): Promise<void>;
}

const WORKER_FILE = new URL("./rpc-control-plane-worker.js", import.meta.url);

/**
 * A real control plane (serveControlPlane: store, bus, RPC port) on a worker thread of
 * this process, listening on a free loopback port, with a temp data dir and, for
 * Postgres, a fresh database. A worker thread rather than a child process: it cannot
 * outlive the benchmark, and it still gets its own event loop and core.
 */
export async function startBenchControlPlane(options: BenchControlPlaneOptions): Promise<BenchControlPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), "pushpals-bench-rpc-"));
  let database: BenchDatabase | undefined;
  let worker: Worker | undefined;
  const cleanUp = async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    if (options.store === "postgres" && !options.databaseUrl) database = await benchDatabase(options.label);
    const databaseUrl = options.store === "postgres" ? (options.databaseUrl ?? database?.url ?? "") : "";
    const workerData: ControlPlaneWorkerData = {
      overrides: {
        "repo.path": dataDir,
        "storage.dataDir": dataDir,
        "storage.databaseUrl": databaseUrl,
        "bus.natsUrl": options.natsUrl ?? "",
      },
    };
    worker = new Worker(WORKER_FILE, { workerData });
    const running = worker;
    const exited = new Promise<number>((resolve) => running.once("exit", resolve));
    const url = await listening(running, exited);
    return {
      url,
      store: options.store,
      bus: options.natsUrl ? "nats" : "memory",
      sqliteFile: options.store === "sqlite" ? join(dataDir, "pushpals.db") : undefined,
      databaseUrl: databaseUrl || undefined,
      connect: () => createClients(url),
      busy: (since) => running.performance.eventLoopUtilization(since),
      async stop() {
        const outcome = stopped(running, exited);
        running.postMessage({ kind: "stop" } satisfies ToControlPlaneWorker);
        const problem = await outcome;
        await exited;
        await cleanUp();
        if (problem) throw new Error(`the benchmark's control plane failed: ${problem}`);
      },
    };
  } catch (error) {
    if (worker) await worker.terminate();
    await cleanUp();
    throw error;
  }
}

function listening(worker: Worker, exited: Promise<number>): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromControlPlaneWorker) => {
      if (message.kind === "listening") resolve(message.url);
      else if (message.kind === "failed") reject(new Error(`the benchmark's control plane did not start: ${message.message}`));
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
    void exited.then((code) => reject(new Error(`the benchmark's control plane thread exited (code ${code}) before listening`)));
  });
}

/** Resolves to what went wrong, or undefined once the control plane stopped cleanly. */
function stopped(worker: Worker, exited: Promise<number>): Promise<string | undefined> {
  return new Promise((resolve) => {
    worker.on("message", (message: FromControlPlaneWorker) => {
      if (message.kind === "stopped") resolve(undefined);
      else if (message.kind === "failed") resolve(message.message);
    });
    worker.once("error", (error) => resolve(error.message));
    void exited.then((code) => resolve(`its thread exited (code ${code}) without reporting a stop`));
  });
}
