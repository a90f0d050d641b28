import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import type { ServiceName } from "../service-definition.js";
import { queueLabel } from "./metrics.js";
import { contextOfTraceParent } from "./trace-context.js";
import { SERVICE_ATTRIBUTE, TRACER_NAME } from "./trace-names.js";

/**
 * Runs the work on a claimed item inside a span that joins the trace of whoever enqueued it
 * (its stored traceparent), so a request's trace goes on across the queue: chat → planner →
 * runner → integration. The calls `work` makes carry this span as their parent.
 */
export async function inItemSpan<T>(service: ServiceName, item: QueueItem, work: () => Promise<T>): Promise<T> {
  const parent = contextOfTraceParent(item.traceParent);
  const span = trace.getTracer(TRACER_NAME).startSpan(
    `${service} ${queueLabel(item.queue)} item`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [SERVICE_ATTRIBUTE]: service,
        "pushpals.item_id": item.id,
        "pushpals.session_id": item.sessionId,
        "pushpals.attempt": item.attempts,
        "messaging.destination.name": queueLabel(item.queue),
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
