import { EventEmitter, once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import type { Logger } from "../log.js";
import { sniffProtocol } from "./sniff-protocol.js";

/** What the HTTP/1.1 and HTTP/2 servers both hand each request to. */
export type RequestHandler = (request: http.IncomingMessage | http2.Http2ServerRequest, response: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface OnePortOptions {
  host: string;
  port: number;
  handler: RequestHandler;
  logger: Logger;
  /** A connection that sends nothing for this long is dropped before it ties anything up. */
  firstBytesTimeoutMs?: number;
  /** An HTTP/1.1 client gets this long to send a request's headers (slow-loris guard). */
  http1HeadersTimeoutMs?: number;
  /**
   * An HTTP/2 connection, or one of its streams, with no frames either way for this long is
   * closed (a stream that sent headers and stalled, a connection that sent the preface and went
   * quiet). Live server streams send keep-alives well within it; long-poll claims wait at most
   * 60 s. Default 300 s.
   */
  idleTimeoutMs?: number;
}

export interface DrainReport {
  /** Every request finished within the grace period. */
  drained: boolean;
  /** Paths of the requests still running when the grace period ran out. */
  cutRequests: string[];
  /** Connections destroyed because they were still open at the end. */
  cutConnections: number;
  elapsedMs: number;
}

export interface OnePort {
  readonly port: number;
  /**
   * Stops accepting, ends idle connections and lets busy ones finish their
   * requests for up to `graceMs`; then calls `onGraceOver` and destroys what is
   * left. Never waits longer than the grace period plus a short flush.
   */
  close(graceMs: number, onGraceOver: () => void): Promise<DrainReport>;
}

const FLUSH_MS = 500;

const CLIENT_ERROR_STATUS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
};

/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (prior knowledge, as gRPC
 * clients and `grpcurl -plaintext` use it): each connection's first bytes pick
 * the server that gets it. Node's http2 server can only offer both protocols
 * behind TLS (ALPN), hence this small dispatcher.
 */
export async function listenOnePort(options: OnePortOptions): Promise<OnePort> {
  const { logger } = options;
  const firstBytesTimeoutMs = options.firstBytesTimeoutMs ?? 10_000;
  const sockets = new Set<Socket>();
  const undecided = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const http1Busy = new Map<Socket, number>();
  const inFlight = new Map<object, string>();
  const idle = new EventEmitter();
  let closing = false;

  const onRequest: RequestHandler = (request, response) => {
    const path = `${request.method ?? "?"} ${(request.url ?? "").split("?", 1)[0]}`;
    inFlight.set(response, path);
    const socket = "stream" in request ? undefined : request.socket;
    if (socket) {
      http1Busy.set(socket, (http1Busy.get(socket) ?? 0) + 1);
      if (closing) response.setHeader("connection", "close");
    }
    response.once("close", () => {
      inFlight.delete(response);
      if (socket) {
        const busy = (http1Busy.get(socket) ?? 1) - 1;
        http1Busy.set(socket, busy);
        if (closing && busy === 0) socket.destroySoon();
      }
      if (inFlight.size === 0) idle.emit("idle");
    });
    options.handler(request, response);
  };

  const headersTimeout = options.http1HeadersTimeoutMs ?? 60_000;
  const http1 = http.createServer(
    { headersTimeout, requestTimeout: Math.max(300_000, headersTimeout), connectionsCheckingInterval: Math.min(30_000, Math.max(50, headersTimeout / 4)) },
    onRequest,
  );
  // Node enforces headersTimeout/requestTimeout only for servers that listened; this one is
  // fed sockets by hand, so it is told it is listening (and closed again in close()).
  http1.emit("listening");
  http1.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const status = CLIENT_ERROR_STATUS[error.code ?? ""] ?? "400 Bad Request";
    logger.warn({ err: error, code: error.code, status }, "dropped a bad HTTP/1.1 request");
    if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });

  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const h2c = http2.createServer(onRequest);
  h2c.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // Idle sessions hold a socket and nghttp2 state each; without this they stay forever.
    session.setTimeout(idleTimeoutMs, () => {
      logger.debug({ idleTimeoutMs }, "closing an idle HTTP/2 connection");
      session.destroy();
    });
    if (closing) session.close();
  });
  h2c.on("stream", (stream: http2.ServerHttp2Stream) => {
    stream.setTimeout(idleTimeoutMs, () => {
      logger.debug({ idleTimeoutMs }, "cancelling an HTTP/2 stream with no frames either way");
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
  });
  h2c.on("sessionError", (error: Error) => logger.warn({ err: error }, "dropped an HTTP/2 connection after a protocol error"));

  const server = net.createServer(async (socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      undecided.delete(socket);
      http1Busy.delete(socket);
    });
    // A reset before or after hand-off must not become an uncaught error.
    socket.on("error", (error: NodeJS.ErrnoException) => logger.debug({ code: error.code }, "connection error"));
    if (closing) return void socket.destroy();
    undecided.add(socket);
    const protocol = await sniffProtocol(socket, firstBytesTimeoutMs);
    undecided.delete(socket);
    if (!protocol || closing || socket.destroyed) return void socket.destroy();
    if (protocol === "http1") http1Busy.set(socket, 0);
    (protocol === "h2c" ? h2c : http1).emit("connection", socket);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    const hint =
      error.code === "EADDRINUSE"
        ? `port ${options.port} on ${options.host} is in use; stop the process holding it or choose another port (PUSHPALS_PORT)`
        : `cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}); check the host (PUSHPALS_HOST) and port (PUSHPALS_PORT)`;
    throw new Error(hint, { cause: error });
  });
  server.on("error", (error) => logger.error({ err: error }, "listening socket failed"));

  let closed: Promise<DrainReport> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close(graceMs, onGraceOver) {
      closed ??= (async () => {
        const started = performance.now();
        closing = true;
        const allClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        http1.close(() => undefined);
        for (const socket of undecided) socket.destroy();
        for (const session of sessions) session.close();
        for (const [socket, busy] of http1Busy) if (busy === 0) socket.destroySoon();

        const drained = inFlight.size === 0 || (await waitFor(once(idle, "idle", { signal: AbortSignal.timeout(graceMs) })));
        const cutRequests = drained ? [] : [...inFlight.values()];
        if (!drained) onGraceOver();
        // Finished responses may still be flushing; give them a moment before cutting.
        if (drained) await waitFor(Promise.race([allClosed, delay(FLUSH_MS)]));
        const cutConnections = [...sockets].filter((socket) => !socket.destroyed).length;
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        await allClosed;
        return { drained, cutRequests, cutConnections, elapsedMs: Math.round(performance.now() - started) };
      })();
      return closed;
    },
  };
}

async function waitFor(promise: Promise<unknown>): Promise<boolean> {
  try {
    await promise;
    return true;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
