import { cors } from "@connectrpc/connect";
import type { RequestHandler } from "./one-port.js";

/** Headers a browser client of ours sends beyond Connect's own: the bearer token and the trace context. */
const OUR_HEADERS = ["authorization", "traceparent", "tracestate"];
const ALLOWED_METHODS = cors.allowedMethods.join(", ");
const ALLOWED_HEADERS = [...cors.allowedHeaders, ...OUR_HEADERS].join(", ");
const EXPOSED_HEADERS = cors.exposedHeaders.join(", ");
/** Browsers cap this anyway (Chromium at 2 h); it saves a preflight per call. */
const PREFLIGHT_MAX_AGE_SECONDS = "7200";

/**
 * Lets pages from the allowed origins call the RPCs with Connect-Web or gRPC-Web: answers their
 * preflight and marks their responses readable. A request from any other origin gets no CORS
 * header at all, so the browser keeps its same-origin rule; the request itself is not refused
 * here (non-browser clients send no Origin, and auth still applies to every call).
 */
export function withCors(handler: RequestHandler, allowedOrigins: readonly string[]): RequestHandler {
  if (allowedOrigins.length === 0) return handler;
  const allowed = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));
  return (request, response) => {
    const origin = request.headers.origin;
    // Caches must not hand one origin's answer to another.
    response.setHeader("vary", "origin");
    if (typeof origin !== "string" || !allowed.has(origin.toLowerCase())) return handler(request, response);
    response.setHeader("access-control-allow-origin", origin);
    if (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) {
      response.writeHead(204, {
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": PREFLIGHT_MAX_AGE_SECONDS,
      });
      return void response.end();
    }
    response.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
    handler(request, response);
  };
}
