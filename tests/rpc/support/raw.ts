import http2 from "node:http2";
import net from "node:net";

export interface H2Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** One request over Node's own HTTP/2 client, with exactly the bytes and headers given. */
export function h2Request(baseUrl: string, path: string, headers: http2.OutgoingHttpHeaders, body: Uint8Array): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (responseHeaders = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      resolve({ status: Number(responseHeaders[":status"] ?? 0), headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

/** A gRPC length-prefixed message frame (uncompressed). */
export function grpcFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, 5);
  return frame;
}

export interface RawExchange {
  received: Buffer;
  /** The server closed the connection (rather than the wait running out). */
  closedByServer: boolean;
}

/** Writes raw bytes on a fresh TCP connection and collects what comes back until the server closes it or `waitMs` passes. */
export function rawExchange(port: number, bytes: Uint8Array, waitMs = 3_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByServer: false });
    }, waitMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), closedByServer: true });
    });
    socket.on("connect", () => socket.write(bytes));
  });
}
