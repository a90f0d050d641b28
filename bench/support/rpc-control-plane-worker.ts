import { parentPort, workerData } from "node:worker_threads";
import { loadConfig } from "../../shared/config/load.js";
import { errorMessage } from "../../shared/errors.js";
import { createLogger, silentLogger } from "../../shared/log.js";
import { serveControlPlane } from "../../services/control-plane/serve-control-plane.js";
import type { ControlPlaneWorkerData, FromControlPlaneWorker, ToControlPlaneWorker } from "./rpc-control-plane-messages.js";

/*
 * The control plane of a benchmark, on its own thread: the real serveControlPlane with
 * logging off, so its event loop is not the one the benchmark's clients run on (as in
 * production, where clients live in other processes). Started by rpc-control-plane.ts.
 */

const port = parentPort;
if (!port) throw new Error("rpc-control-plane-worker.js runs as a worker thread; start it with startBenchControlPlane()");
const { overrides } = workerData as ControlPlaneWorkerData;
const post = (message: FromControlPlaneWorker) => port.postMessage(message);

// The benchmark's own environment must not leak PUSHPALS_* settings into the figures.
const config = loadConfig({ env: { PUSHPALS_PORT: "0" }, overrides });
const controller = new AbortController();
port.on("message", (message: ToControlPlaneWorker) => {
  if (message.kind === "stop") controller.abort();
});

// Logging off, as its cost is not what is measured; PUSHPALS_LOG_LEVEL=warn shows what went wrong.
const logger = process.env.PUSHPALS_LOG_LEVEL ? createLogger("bench-control-plane") : silentLogger;
serveControlPlane(config, controller.signal, { logger, onListening: (url) => post({ kind: "listening", url }) })
  .then(
    () => post({ kind: "stopped" }),
    (error: unknown) => post({ kind: "failed", message: errorMessage(error) }),
  )
  .finally(() => port.close());
