import { context, propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};
const headerSetter: TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };

/** Writes the active trace context (traceparent, tracestate) into outgoing headers. */
export function injectTraceHeaders(headers: Headers, from: Context = context.active()): void {
  propagation.inject(from, headers, headerSetter);
}

/** The trace context a caller sent, or the root context when it sent none. */
export function extractTraceHeaders(headers: Headers): Context {
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** The active trace context as a W3C traceparent ("" when nothing is being traced), to store beside queued work. */
export function currentTraceParent(): string {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? "";
}

/** The context a stored traceparent names (the root context for ""). */
export function contextOfTraceParent(traceParent: string): Context {
  return traceParent === "" ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, { traceparent: traceParent });
}
