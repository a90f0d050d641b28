import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { observeStream } from "./rpc/stream-hooks.js";
import { propagateTraceContext } from "./telemetry/trace-interceptors.js";

// Apart from shared/clients.ts so a caller of one or two services (`pushpals status`) need not load
// every service's generated code to get a connection.

export interface ClientOptions {
  /** Bearer token for mutating RPCs (PUSHPALS_AUTH_TOKEN). */
  token?: string;
  /** HTTP/2 (default) multiplexes every call and stream over one connection. */
  httpVersion?: "1.1" | "2";
  /** More interceptors, inside ours (tests hold or fail chosen calls with them). */
  interceptors?: Interceptor[];
}

/**
 * A server that dies mid-call (kill -9, a crash) takes its HTTP/2 connection along, and Node
 * closes the call's stream with RST_STREAM CANCEL, which connect-node reports as Canceled. We
 * cancelled nothing (our signal would say so), so it is Unavailable: the code every caller
 * treats as "the server is not there right now; retry", as it does for a refused connection.
 */
const lostConnectionIsUnavailable: Interceptor = (next) => async (req) => {
  const relabel = (error: unknown) =>
    error instanceof ConnectError && error.code === Code.Canceled && !req.signal.aborted
      ? new ConnectError(`${error.rawMessage}: the connection to the server was lost`, Code.Unavailable, error.metadata, undefined, error)
      : error;
  try {
    const res = await next(req);
    if (!res.stream) return res;
    return { ...res, message: observeStream(res.message, { onError: relabel }) };
  } catch (error) {
    throw relabel(error);
  }
};

export function createTransport(baseUrl: string, options: ClientOptions = {}): Transport {
  const interceptors: Interceptor[] = [lostConnectionIsUnavailable, propagateTraceContext];
  if (options.token) {
    const header = `Bearer ${options.token}`;
    interceptors.push((next) => (req) => {
      req.header.set("authorization", header);
      return next(req);
    });
  }
  interceptors.push(...(options.interceptors ?? []));
  return createConnectTransport({ baseUrl, httpVersion: options.httpVersion ?? "2", interceptors });
}
