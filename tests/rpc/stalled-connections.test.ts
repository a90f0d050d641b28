import http2 from "node:http2";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listenOnePort, type OnePort } from "../../shared/rpc/one-port.js";
import { HTTP2_PREFACE } from "../../shared/rpc/sniff-protocol.js";
import { captureLogs } from "./support/test-server.js";

/**
 * Issue 10, item 8: stalled HTTP/1.1 connections and idle HTTP/2 connections and streams are
 * closed by the server, so stalled sockets cannot hold memory forever, while a live stream with
 * traffic stays up. A few hundred sockets here (bounded, loopback); nothing in the mechanism
 * depends on the count, so 2,000 fare the same.
 */

const IDLE_MS = 1_000;
const HEADERS_MS = 500;
let port: OnePort | undefined;

afterEach(async () => {
  await port?.close(500, () => undefined);
  port = undefined;
});

/** Opens a TCP connection, sends `bytes`, and resolves when the server closes it (or with false after `waitMs`). */
function stalled(portNumber: number, bytes: Uint8Array, waitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port: portNumber }, () => socket.write(bytes));
    socket.on("data", () => undefined);
    const timer = setTimeout(() => (socket.destroy(), resolve(false)), waitMs);
    socket.once("close", () => (clearTimeout(timer), resolve(true)));
    socket.once("error", () => undefined);
  });
}

describe("stalled connections", () => {
  it("partial HTTP/1.1 headers, h2c prefaces that go quiet and h2 streams that never send a body are all closed, while a live stream keeps going", async () => {
    const { logger } = captureLogs();
    port = await listenOnePort({
      host: "127.0.0.1",
      port: 0,
      logger,
      http1HeadersTimeoutMs: HEADERS_MS,
      idleTimeoutMs: IDLE_MS,
      handler: (request, response) => {
        if (request.url === "/live") {
          // A server stream with traffic every 200 ms for 3 s: three idle periods long.
          response.writeHead(200);
          let ticks = 0;
          const timer = setInterval(() => {
            const stream = response as NodeJS.WritableStream;
            stream.write(`tick ${(ticks += 1)}\n`);
            if (ticks === 15) {
              clearInterval(timer);
              stream.end("done\n");
            }
          }, 200);
          return;
        }
        // Waits for a body that a stalled client never sends.
        request.on("end", () => response.end("ok"));
        request.resume();
      },
    });
    const url = `http://127.0.0.1:${port.port}`;

    const live = (async () => {
      const session = http2.connect(url);
      const stream = session.request({ ":path": "/live" });
      let text = "";
      stream.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      await new Promise((resolve, reject) => stream.once("close", resolve).once("error", reject));
      session.close();
      return text;
    })();

    const waitMs = 10_000;
    const http1 = Array.from({ length: 150 }, () => stalled(port!.port, Buffer.from("GET / HTTP/1.1\r\nhost: x\r\nx-slow: "), waitMs));
    const prefaceOnly = Array.from({ length: 100 }, () => stalled(port!.port, HTTP2_PREFACE, waitMs));
    const streams = Array.from({ length: 20 }, async () => {
      const session = http2.connect(url);
      session.on("error", () => undefined);
      const stream = session.request({ ":path": "/upload", ":method": "POST" }, { endStream: false });
      stream.on("error", () => undefined);
      const closed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), waitMs);
        stream.once("close", () => (clearTimeout(timer), resolve(true)));
      });
      session.destroy();
      return closed;
    });

    expect((await Promise.all(http1)).every(Boolean), "every stalled HTTP/1.1 connection was closed").toBe(true);
    expect((await Promise.all(prefaceOnly)).every(Boolean), "every silent HTTP/2 connection was closed").toBe(true);
    expect((await Promise.all(streams)).every(Boolean), "every stalled HTTP/2 stream was cancelled").toBe(true);
    expect(await live).toMatch(/tick 15\ndone\n$/);
  }, 30_000);
});
