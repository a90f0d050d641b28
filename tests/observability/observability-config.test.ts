import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../shared/config/load.js";
import { silentLogger } from "../../shared/log.js";
import { startTracing } from "../../shared/telemetry/tracing.js";
import { TRACER_NAME } from "../../shared/telemetry/trace-names.js";

describe("[observability] and server.cors_origins", () => {
  it("are off by default", () => {
    const config = loadConfig({ env: {} });
    expect(config.observability).toEqual({ metrics: false, tracing: false, otlpEndpoint: "http://127.0.0.1:4318/v1/traces" });
    expect(config.server.corsOrigins).toEqual([]);
  });

  it("come from the environment: switches, the endpoint, comma-separated origins", () => {
    const config = loadConfig({
      env: {
        PUSHPALS_METRICS: "1",
        PUSHPALS_TRACING: "true",
        PUSHPALS_OTLP_ENDPOINT: "http://collector:4318/v1/traces",
        PUSHPALS_CORS_ORIGINS: "http://localhost:5173, https://ui.example.com",
      },
    });
    expect(config.observability).toEqual({ metrics: true, tracing: true, otlpEndpoint: "http://collector:4318/v1/traces" });
    expect(config.server.corsOrigins).toEqual(["http://localhost:5173", "https://ui.example.com"]);
  });

  it("refuses an origin with a path, naming the key and the form wanted", () => {
    const load = () => loadConfig({ env: { PUSHPALS_CORS_ORIGINS: "https://ui.example.com/" } });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /server\.corsOrigins = "https:\/\/ui\.example\.com\/" \(from environment PUSHPALS_CORS_ORIGINS\): "https:\/\/ui\.example\.com\/" is not an origin; write scheme:\/\/host/,
    );
  });

  it("refuses an endpoint that is not http(s)", () => {
    expect(() => loadConfig({ env: { PUSHPALS_OTLP_ENDPOINT: "grpc://collector:4317" } })).toThrow(/observability\.otlpEndpoint .*must be an http\(s\) URL/);
  });
});

it("tracing exports spans over OTLP/HTTP to the configured endpoint", async () => {
  const received: { url: string; body: string }[] = [];
  const collector = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.setEncoding("latin1");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      received.push({ url: request.url ?? "", body });
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
  const tracing = startTracing({ serviceName: "pushpals-otlp-test", endpoint, logger: silentLogger });
  try {
    trace.getTracer(TRACER_NAME).startSpan("otlp export check").end();
  } finally {
    await tracing.shutdown();
    await new Promise<void>((resolve) => collector.close(() => resolve()));
  }
  expect(received.map((r) => r.url)).toEqual(["/v1/traces"]);
  // The body is OTLP protobuf: the span's name and the service name travel as plain strings in it.
  expect(received[0]!.body).toContain("otlp export check");
  expect(received[0]!.body).toContain("pushpals-otlp-test");
});
