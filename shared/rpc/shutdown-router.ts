import { createServiceImplSpec, type ConnectRouter, type MethodImplSpec } from "@connectrpc/connect";

export interface ShutdownSignals {
  /** Aborts as shutdown begins: streams have no natural end, so they are told to finish now. */
  streaming: AbortSignal;
  /** Aborts only when the grace period is over: unary calls get that long to finish their work. */
  unary: AbortSignal;
}

/**
 * A router that registers each method with the adapter's shutdown signal for
 * its kind. Connect takes one `shutdownSignal` per handler, so a service is
 * registered method by method (with Connect's own unimplemented stubs for the
 * methods an implementation leaves out).
 */
export function withShutdownSignals(router: ConnectRouter, signals: ShutdownSignals): ConnectRouter {
  const wrapped: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, implementation, options) {
      for (const spec of Object.values(createServiceImplSpec(service, implementation).methods)) register(spec, options);
      return wrapped;
    },
    rpc(method, impl, options) {
      router.rpc(method, impl, { ...options, shutdownSignal: method.methodKind === "unary" ? signals.unary : signals.streaming });
      return wrapped;
    },
  };
  const register = (spec: MethodImplSpec, options: Parameters<ConnectRouter["rpc"]>[2]): void => {
    switch (spec.kind) {
      case "unary":
        return void wrapped.rpc(spec.method, spec.impl, options);
      case "server_streaming":
        return void wrapped.rpc(spec.method, spec.impl, options);
      case "client_streaming":
        return void wrapped.rpc(spec.method, spec.impl, options);
      case "bidi_streaming":
        return void wrapped.rpc(spec.method, spec.impl, options);
    }
  };
  return wrapped;
}
