import { context, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace-node";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import { VERSION } from "../version.js";

export interface Tracing {
  /** Exports what is still buffered and stops recording; call before the process exits. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The resource's service.name: "pushpals" for the one-process system, "pushpals-<service>" in mesh mode. */
  serviceName: string;
  endpoint: string;
  logger: Logger;
  /** Replaces the OTLP exporter (tests hand an in-memory one in a SimpleSpanProcessor). */
  spanProcessor?: SpanProcessor;
}

/**
 * Makes this process record spans and export them over OTLP/HTTP, with W3C trace context
 * (`traceparent`) as the propagation format. Until this runs the OpenTelemetry API is a no-op,
 * so the interceptors and span helpers cost next to nothing when tracing is off.
 */
export function startTracing(options: TracingOptions): Tracing {
  const processor = options.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url: options.endpoint }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName, "service.version": VERSION }),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  options.logger.info({ endpoint: options.spanProcessor ? "custom" : options.endpoint, serviceName: options.serviceName }, "tracing on: spans go to the OTLP endpoint");
  let stopped: Promise<void> | undefined;
  return {
    shutdown() {
      // An unreachable collector must not hold up the exit: the last spans are given a few seconds.
      stopped ??= Promise.race([
        provider.shutdown().catch((error: unknown) => options.logger.warn({ err: error }, "exporting the last spans failed")),
        delay(SHUTDOWN_FLUSH_MS),
      ]).finally(() => {
        // Later starts (tests, a restarted tree) register afresh.
        trace.disable();
        propagation.disable();
        context.disable();
      });
      return stopped;
    },
  };
}

const SHUTDOWN_FLUSH_MS = 3_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Starts tracing when [observability] tracing is on; otherwise a no-op with the same shape. */
export function tracingFromConfig(config: Config["observability"], serviceName: string, logger: Logger): Tracing {
  if (!config.tracing) return { shutdown: async () => undefined };
  return startTracing({ serviceName, endpoint: config.otlpEndpoint, logger });
}
