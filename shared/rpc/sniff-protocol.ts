import type { Socket } from "node:net";

/** What every HTTP/2 client sends first when it talks HTTP/2 without TLS (RFC 9113 §3.4). */
export const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export type WireProtocol = "h2c" | "http1";

/**
 * Reads a new connection until its first bytes tell HTTP/2 prior knowledge from
 * HTTP/1.x — often one read, but the preface may arrive in pieces — then puts
 * those bytes back for the server that takes it.
 * Resolves undefined when the peer closes, errs or stays silent for `timeoutMs`
 * before that (the caller destroys the socket).
 */
export function sniffProtocol(socket: Socket, timeoutMs: number): Promise<WireProtocol | undefined> {
  return new Promise((resolve) => {
    let seen: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    // Paused-mode reads, as httpolyglot does: once the "readable" listener is gone the
    // socket is neither flowing nor paused, so the server that takes it over reads
    // the unshifted bytes first (http via its "data" listener, http2 via receive()).
    const onReadable = (): void => {
      for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
        const compared = Math.min(seen.length, HTTP2_PREFACE.length);
        if (!seen.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared))) return finish("http1");
        if (seen.length >= HTTP2_PREFACE.length) return finish("h2c");
      }
    };
    const onGone = (): void => finish(undefined);
    function finish(protocol: WireProtocol | undefined): void {
      clearTimeout(timer);
      socket.off("readable", onReadable).off("end", onGone).off("close", onGone).off("error", onGone);
      if (protocol) socket.unshift(seen);
      resolve(protocol);
    }
    socket.on("readable", onReadable).once("end", onGone).once("close", onGone).once("error", onGone);
  });
}
