import { setMaxListeners } from "node:events";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "../log.js";
import { AUTH_TOKEN_VARIABLE, checkBearerToken, tokenProblem } from "./auth.js";
import { watchCallOutcome } from "./call-outcome.js";
import { indexDescriptors } from "./descriptor-index.js";
import { createHealthRegistry, registerHealth, ServingStatus, type HealthRegistry } from "./health.js";
import { COMPRESS_MIN_BYTES, contextValuesOf, rememberResponses } from "./frame-writer.js";
import { hideInternalErrors } from "./internal-errors.js";
import { isLoopbackHost } from "./loopback.js";
import { checkConnectGetMessages } from "./connect-get-check.js";
import { listenOnePort, type DrainReport } from "./one-port.js";
import { REFLECTION_SERVICES, registerReflection } from "./reflection.js";
import { protoSourceInfo } from "./source-info.js";
import { withShutdownSignals } from "./shutdown-router.js";
import { serveStaticFiles } from "./static-files.js";
import { withCors } from "./cors.js";
import { withMetricsEndpoint } from "../telemetry/metrics-endpoint.js";
import { countStreamSubscribers } from "../telemetry/stream-metrics.js";
import { traceServerCalls } from "../telemetry/trace-interceptors.js";

export interface RpcServerOptions {
  /** Address to listen on; anything but loopback requires `authToken`. */
  host: string;
  /** 0 picks a free port (see RpcServer.port). */
  port: number;
  /** Registers the services this server offers. Health and reflection are added for them. */
  register: (router: ConnectRouter) => void;
  /** Bearer token required on every RPC but health (and reflection when open); without it all are open (loopback only). */
  authToken?: string | undefined;
  /** With a token: whether reflection still answers without it (default true). */
  openReflection?: boolean;
  /** Largest request message accepted; larger ones fail with ResourceExhausted before they are parsed. */
  maxRequestBytes: number;
  /** An HTTP/2 connection or stream with no frames either way for this long is closed (default 300 s). */
  idleTimeoutMs?: number;
  /** How long close() lets running calls finish before it cuts them. */
  shutdownGraceMs: number;
  logger: Logger;
  /** Web UI files served for GET requests that are not RPCs (index.html for unknown routes). */
  staticDir?: string | undefined;
  /** Run inside the server's own error handling, around every handler. */
  interceptors?: Interceptor[];
  /** Serve Prometheus text on GET /metrics (behind the auth token when there is one). Default off. */
  metrics?: boolean;
  /** Origins whose web pages may call the RPCs (CORS); empty or absent: none. */
  corsOrigins?: readonly string[];
}

export interface RpcServer {
  /** http://host:port — gRPC (h2c), gRPC-Web and Connect all answer here. */
  readonly url: string;
  readonly port: number;
  readonly health: HealthRegistry;
  /** Graceful stop: health NOT_SERVING, streams told to end, calls given the grace period; reports what was cut. */
  close(): Promise<ShutdownReport>;
}

export type ShutdownReport = DrainReport;

/**
 * The one port every PushPals service listens on: gRPC over cleartext HTTP/2,
 * gRPC-Web and Connect over HTTP/1.1 and HTTP/2, the web UI, gRPC reflection and
 * grpc.health.v1 — with bearer-token auth on every call but health, a request size
 * limit, one place where errors are made safe and logged, and a graceful close().
 */
export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const { logger } = options;
  const authToken = options.authToken === "" ? undefined : options.authToken;
  if (authToken === undefined && !(await isLoopbackHost(options.host))) {
    throw new Error(
      `refusing to listen on ${options.host} without an auth token: anyone who can reach it could change state. ` + `Set ${AUTH_TOKEN_VARIABLE}, or listen on 127.0.0.1`,
    );
  }
  const badToken = authToken === undefined ? undefined : tokenProblem(authToken);
  if (badToken !== undefined) throw new Error(`the auth token (${AUTH_TOKEN_VARIABLE}) ${badToken}`);
  if (!Number.isInteger(options.maxRequestBytes) || options.maxRequestBytes < 1) {
    throw new Error(`maxRequestBytes must be a positive whole number of bytes, not ${options.maxRequestBytes}`);
  }

  const health = createHealthRegistry();
  const streamShutdown = new AbortController();
  const unaryShutdown = new AbortController();
  // Every in-flight call listens on these; hundreds at once is normal, not a leak.
  setMaxListeners(0, streamShutdown.signal, unaryShutdown.signal);
  const shutdownReasons = {
    streams: new ConnectError("the server is shutting down; reconnect and resume where you left off", Code.Unavailable),
    calls: new ConnectError("the server shut down before this call finished; retry it", Code.Unavailable),
  };
  const expectedAborts = new Set<unknown>([shutdownReasons.streams, shutdownReasons.calls]);
  const authorize = authToken === undefined ? undefined : checkBearerToken(authToken, { openReflection: options.openReflection ?? true });

  // Each call's context carries its node response, for streams that write their frames beneath Connect (frame-writer.ts).
  const handler = rememberResponses(
    connectNodeAdapter({
      grpc: true,
      grpcWeb: true,
      connect: true,
      readMaxBytes: options.maxRequestBytes,
      compressMinBytes: COMPRESS_MIN_BYTES,
      contextValues: contextValuesOf,
      interceptors: [hideInternalErrors(), traceServerCalls, countStreamSubscribers, ...(options.interceptors ?? [])],
      // Runs for every call before its body is read: the one place that sees every outcome.
      requestGate(context: HandlerContext) {
        watchCallOutcome(context, logger, expectedAborts);
        authorize?.(context);
      },
      routes(adapterRouter) {
        const router = withShutdownSignals(adapterRouter, { streaming: streamShutdown.signal, unary: unaryShutdown.signal });
        options.register(router);
        registerHealth(router, health);
        // Reflection describes every service on the port, itself included.
        const services = [...servicesOf(adapterRouter), ...REFLECTION_SERVICES];
        registerReflection(router, indexDescriptors(services, protoSourceInfo()));
        for (const service of services) health.set(service.typeName, ServingStatus.SERVING);
        health.set("", ServingStatus.SERVING);
      },
      fallback: serveStaticFiles(options.staticDir, logger),
    }),
  );

  const checked = checkConnectGetMessages(handler);
  const served = withCors(options.metrics ? withMetricsEndpoint(checked, { authToken }) : checked, options.corsOrigins ?? []);
  const port = await listenOnePort({ host: options.host, port: options.port, handler: served, logger, ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}) });
  const hostInUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${hostInUrl}:${port.port}`;
  logger.info(
    { url, auth: authToken !== undefined, maxRequestBytes: options.maxRequestBytes, metrics: options.metrics === true, corsOrigins: options.corsOrigins ?? [] },
    "rpc server listening",
  );

  let closing: Promise<ShutdownReport> | undefined;
  return {
    url,
    port: port.port,
    health,
    close() {
      closing ??= (async () => {
        logger.info({ graceMs: options.shutdownGraceMs }, "rpc server stopping: health NOT_SERVING, streams told to end, calls given the grace period");
        health.shutDown();
        // Let Watch streams deliver NOT_SERVING before streams are told to end.
        await new Promise((resolve) => setImmediate(resolve));
        streamShutdown.abort(shutdownReasons.streams);
        const report = await port.close(options.shutdownGraceMs, () => unaryShutdown.abort(shutdownReasons.calls));
        unaryShutdown.abort(shutdownReasons.calls);
        if (report.drained) logger.info({ elapsedMs: report.elapsedMs }, "rpc server stopped; every call finished");
        else logger.warn(report, `rpc server stopped; cut ${report.cutRequests.length} call(s) still running after ${options.shutdownGraceMs} ms`);
        return report;
      })();
      return closing;
    },
  };
}

function servicesOf(router: ConnectRouter): DescService[] {
  return [...new Set(router.handlers.map((h) => h.service))];
}
