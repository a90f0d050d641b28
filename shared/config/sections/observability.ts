import { z } from "zod";
import { onOff } from "../on-off.js";

/** What an operator can watch from outside: Prometheus metrics and OpenTelemetry traces, both off by default. */
export const observabilitySection = z.strictObject({
  /** Serve Prometheus text on GET /metrics of every service's port (behind the auth token when one is set). */
  metrics: onOff.default(false),
  /** Record spans of each request across services and export them over OTLP/HTTP. */
  tracing: onOff.default(false),
  /** Where spans go: an OTLP/HTTP traces endpoint (a collector, Jaeger, Tempo). */
  otlpEndpoint: z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://127.0.0.1:4318/v1/traces" }).default("http://127.0.0.1:4318/v1/traces"),
});

export const observabilityEnv = {
  PUSHPALS_METRICS: "observability.metrics",
  PUSHPALS_TRACING: "observability.tracing",
  PUSHPALS_OTLP_ENDPOINT: "observability.otlpEndpoint",
} as const;
