import { AUTH_TOKEN_VARIABLE, carriesToken } from "../rpc/auth.js";
import type { RequestHandler } from "../rpc/one-port.js";
import { collectProcessMetrics, metricsRegistry } from "./metrics.js";

export const METRICS_PATH = "/metrics";

/**
 * GET /metrics in Prometheus text format, in front of the RPCs on the same port. With an auth
 * token the scrape needs it too (`authorization: Bearer <token>`; Prometheus: `authorization:
 * { credentials: … }`): queue depths and job counts say what a person is working on, and only
 * health stays open on a token-protected port.
 */
export function withMetricsEndpoint(handler: RequestHandler, options: { authToken: string | undefined }): RequestHandler {
  collectProcessMetrics();
  const { authToken } = options;
  return (request, response) => {
    if ((request.url ?? "").split("?", 1)[0] !== METRICS_PATH) return handler(request, response);
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      return void response.end("GET /metrics for Prometheus text\n");
    }
    if (authToken !== undefined && !carriesToken(request.headers.authorization, authToken)) {
      response.writeHead(401, { "www-authenticate": "Bearer", "content-type": "text/plain; charset=utf-8" });
      return void response.end(`/metrics needs "authorization: Bearer <token>" with the server's token (${AUTH_TOKEN_VARIABLE})\n`);
    }
    metricsRegistry.metrics().then(
      (text) => {
        response.writeHead(200, { "content-type": metricsRegistry.contentType });
        response.end(request.method === "HEAD" ? "" : text);
      },
      (error: unknown) => {
        response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        response.end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}; see the server's log\n`);
      },
    );
  };
}
