import type { Interceptor } from "@connectrpc/connect";
import { context, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { serviceOfRpc, SERVICE_ATTRIBUTE, TRACER_NAME } from "./trace-names.js";
import { extractTraceHeaders, injectTraceHeaders } from "./trace-context.js";
import { observeStream } from "../rpc/stream-hooks.js";

/** Client side: every Connect call carries the caller's trace context in `traceparent`. */
export const propagateTraceContext: Interceptor = (next) => (req) => {
  injectTraceHeaders(req.header);
  return next(req);
};

/**
 * Polled by worker loops every few seconds: traced when a traced caller makes them, but not
 * as a fresh trace each time (that would bury the traces of real work).
 */
const POLLS = new Set([
  "pushpals.v1.QueueService/Claim",
  "pushpals.v1.QueueService/RenewLease",
  "pushpals.v1.ExecutionService/Heartbeat",
  "grpc.health.v1.Health/Check",
  "grpc.health.v1.Health/Watch",
]);

/**
 * Server side: each call becomes a span, a child of the caller's when it sent a traceparent,
 * and the handler runs inside it, so the calls it makes and the work it enqueues join the trace.
 * A server stream's span lasts until the stream ends.
 */
export const traceServerCalls: Interceptor = (next) => async (req) => {
  const rpc = `${req.service.typeName}/${req.method.name}`;
  const parent = extractTraceHeaders(req.header);
  if (POLLS.has(rpc) && trace.getSpanContext(parent) === undefined) return next(req);
  const span = trace.getTracer(TRACER_NAME).startSpan(
    rpc,
    {
      kind: SpanKind.SERVER,
      attributes: { "rpc.system": "connect_rpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name, [SERVICE_ATTRIBUTE]: serviceOfRpc(req.service.typeName) },
    },
    parent,
  );
  try {
    const res = await context.with(trace.setSpan(parent, span), () => next(req));
    if (!res.stream) {
      span.end();
      return res;
    }
    const message = observeStream(res.message, {
      onError: (error) => {
        failed(span, error);
        return error;
      },
      onEnd: () => span.end(),
    });
    return { ...res, message };
  } catch (error) {
    failed(span, error);
    span.end();
    throw error;
  }
};

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
