import type { DescService } from "@bufbuild/protobuf";
import type { CallOptions, ConnectRouter, HandlerContext, Transport } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";

type UnaryCall = (request: unknown, options: CallOptions) => Promise<unknown>;
type StreamCall = (request: unknown, options: CallOptions) => AsyncIterable<unknown>;

/**
 * Serves `service` by forwarding every call to another process over Connect, so
 * in mesh mode clients need the control plane's URL only (what an ingress does in
 * Kubernetes). The caller's bearer token and deadline travel with the call.
 */
export function registerForwarding(router: ConnectRouter, service: DescService, transport: Transport): void {
  const client = createClient(service, transport) as unknown as Record<string, UnaryCall | StreamCall>;
  const impl: Record<string, unknown> = {};
  for (const method of service.methods) {
    const call = client[method.localName]!;
    if (method.methodKind === "unary") {
      const unary = call as UnaryCall;
      impl[method.localName] = (request: unknown, context: HandlerContext) => unary(request, forwardedOptions(context));
    } else if (method.methodKind === "server_streaming") {
      const stream = call as StreamCall;
      impl[method.localName] = async function* (request: unknown, context: HandlerContext) {
        yield* stream(request, forwardedOptions(context));
      };
    } else {
      throw new Error(`${service.typeName}/${method.name}: forwarding supports unary and server-streaming methods only`);
    }
  }
  router.service(service, impl as Parameters<ConnectRouter["service"]>[1]);
}

function forwardedOptions(context: HandlerContext): CallOptions {
  const headers = new Headers();
  const authorization = context.requestHeader.get("authorization");
  if (authorization) headers.set("authorization", authorization);
  const remaining = context.timeoutMs();
  return { signal: context.signal, headers, timeoutMs: remaining };
}
