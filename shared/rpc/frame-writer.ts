import type http from "node:http";
import type http2 from "node:http2";
import { createContextKey, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { RequestHandler } from "./one-port.js";

/*
 * A server stream's own way to the wire, beneath Connect's per-message pipeline (issue
 * 17): a handler that has its messages already enveloped writes them straight to the
 * node response it runs on, several at once when they are ready together. Connect still
 * owns the call — headers, the first message, errors and trailers — so this is only a
 * faster path for the bytes Connect would have written in the same order.
 */

type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;

/** Responses the stream writes to must not compress what Connect would; it compresses from this size on when the client asked. */
export const COMPRESS_MIN_BYTES = 1024;

/** Writes bytes after everything the call has written so far. */
export interface FrameWriter {
  /** False once the transport's buffer is full: wait for drained() before writing more. */
  write(bytes: Uint8Array): boolean;
  /** Settles when the buffer has room again, or the response has closed. */
  drained(): Promise<void>;
  /** Whether the client asked for compressed responses (then Connect compresses messages of COMPRESS_MIN_BYTES or more). */
  readonly compressed: boolean;
}

const responseKey = createContextKey<NodeResponse | undefined>(undefined, { description: "the node response a call is written to" });
const responses = new WeakMap<NodeRequest, NodeResponse>();

/** Remembers each request's response, so the call's context can carry it (contextValuesOf). Wraps Connect's node handler. */
export function rememberResponses(next: RequestHandler): RequestHandler {
  return (request, response) => {
    responses.set(request, response);
    next(request, response);
  };
}

/** The context values of a call: its node response, for frameWriterOf. connectNodeAdapter's contextValues. */
export function contextValuesOf(request: NodeRequest): ContextValues {
  const values = createContextValues();
  const response = responses.get(request);
  if (response) values.set(responseKey, response);
  return values;
}

/** The response compression headers of gRPC (and gRPC-Web) and of Connect streaming. */
const COMPRESSION_HEADERS = ["grpc-encoding", "connect-content-encoding"];

/** A writer to the call's node response, or undefined when the call does not run on one (an in-memory transport in tests). */
export function frameWriterOf(context: HandlerContext): FrameWriter | undefined {
  const response = context.values.get(responseKey);
  if (!response) return undefined;
  // The two response types' write() overloads do not unify; this one form is what both take.
  const write = response.write.bind(response) as (chunk: Uint8Array) => boolean;
  const compressed = COMPRESSION_HEADERS.some((name) => context.responseHeader.has(name));
  return {
    compressed,
    write: (bytes) => (response.destroyed || response.writableEnded ? true : write(bytes)),
    drained: () =>
      new Promise<void>((resolve) => {
        if (response.destroyed || response.writableEnded) return resolve();
        const done = () => {
          response.off("drain", done);
          response.off("close", done);
          resolve();
        };
        response.on("drain", done);
        response.on("close", done);
      }),
  };
}
