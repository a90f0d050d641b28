import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { RpcServerOptions } from "./server.js";

/** The RPC server settings every PushPals process takes from its `[server]` (and `[observability]`) config. */
export function serverOptionsFrom(
  server: Config["server"],
  logger: Logger,
  observability?: Config["observability"],
): Pick<RpcServerOptions, "host" | "port" | "authToken" | "openReflection" | "maxRequestBytes" | "idleTimeoutMs" | "shutdownGraceMs" | "logger" | "metrics" | "corsOrigins"> {
  return {
    metrics: observability?.metrics ?? false,
    corsOrigins: server.corsOrigins,
    host: server.host,
    port: server.port,
    authToken: server.authToken || undefined,
    openReflection: server.openReflection,
    maxRequestBytes: server.maxRequestBytes,
    idleTimeoutMs: server.idleTimeoutSeconds * 1000,
    shutdownGraceMs: server.shutdownGraceSeconds * 1000,
    logger,
  };
}
