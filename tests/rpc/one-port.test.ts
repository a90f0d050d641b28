import net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SystemService } from "../../gen/pushpals/v1/system_pb.js";
import { listenOnePort } from "../../shared/rpc/one-port.js";
import { HTTP2_PREFACE, sniffProtocol } from "../../shared/rpc/sniff-protocol.js";
import { transports } from "./support/clients.js";
import { rawExchange } from "./support/raw.js";
import { captureLogs, startTestServer, type TestServer } from "./support/test-server.js";

let harness: TestServer;

beforeAll(async () => {
  harness = await startTestServer();
});

afterAll(async () => {
  await harness.server.close();
});

/**
 * A TCP proxy that forwards the client's first `slowBytes` bytes one per write,
 * with a pause after each, so the server's first reads see the request start in
 * pieces; everything after that, and the whole way back, flows normally.
 */
async function dribblingProxy(targetPort: number, slowBytes: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    upstream.on("close", () => client.destroy());
    client.on("close", () => upstream.destroy());
    let sent = 0;
    let queue = Promise.resolve();
    client.on("data", (chunk: Buffer) => {
      queue = queue.then(async () => {
        for (const byte of chunk) {
          upstream.write(Buffer.of(byte));
          if (++sent <= slowBytes) await new Promise((resolve) => setTimeout(resolve, 3));
        }
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

/** Connects a client to a throwaway listener and hands back both ends. */
async function socketPair(): Promise<{ client: net.Socket; server: net.Socket; close(): void }> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once("connection", resolve));
  const client = net.connect({ host: "127.0.0.1", port: (listener.address() as net.AddressInfo).port });
  client.setNoDelay(true);
  const server = await accepted;
  return { client, server, close: () => (client.destroy(), server.destroy(), listener.close()) };
}

function readAll(socket: net.Socket, length: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).length >= length) socket.off("data", onData), resolve(Buffer.concat(chunks));
    };
    socket.on("data", onData);
  });
}

describe("sniffProtocol", () => {
  it.each([
    ["h2c", [HTTP2_PREFACE.subarray(0, 3), HTTP2_PREFACE.subarray(3, 17), Buffer.concat([HTTP2_PREFACE.subarray(17), Buffer.from("frames")])]],
    ["http1", [Buffer.from("P"), Buffer.from("OST / HTTP/1.1\r\n")]],
    ["http1", [Buffer.from("GET / HTTP/1.1\r\n")]],
  ] as const)("decides %s from pieces and gives every byte back", async (expected, pieces) => {
    const pair = await socketPair();
    try {
      const decided = sniffProtocol(pair.server, 5_000);
      for (const piece of pieces) {
        pair.client.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await decided).toBe(expected);
      const sent = Buffer.concat(pieces);
      expect((await readAll(pair.server, sent.length)).equals(sent)).toBe(true);
    } finally {
      pair.close();
    }
  });

  it("gives up on a peer that leaves or stays silent", async () => {
    const leaving = await socketPair();
    const decided = sniffProtocol(leaving.server, 5_000);
    leaving.client.end(HTTP2_PREFACE.subarray(0, 4));
    expect(await decided).toBeUndefined();
    leaving.close();

    const silent = await socketPair();
    expect(await sniffProtocol(silent.server, 100)).toBeUndefined();
    silent.close();
  });
});

describe("first bytes arriving in pieces", () => {
  it("HTTP/2 whose preface comes a byte at a time still reaches the gRPC server", async () => {
    const proxy = await dribblingProxy(harness.server.port, HTTP2_PREFACE.length + 10);
    const client = new grpc.Client(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
    try {
      const reply = await new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(
          "/pushpals.v1.SystemService/GetSystemStatus",
          (value: Buffer) => value,
          (bytes: Buffer) => bytes,
          Buffer.alloc(0),
          (error, value) => (error || !value ? reject(error ?? new Error("no reply")) : resolve(value)),
        ),
      );
      expect(reply.toString("latin1")).toContain("test-1.2.3");
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it("HTTP/1.1 whose request line comes a byte at a time (starting like the preface: 'P…') still works", async () => {
    const proxy = await dribblingProxy(harness.server.port, 40);
    try {
      const client = createClient(SystemService, createConnectTransport({ baseUrl: `http://127.0.0.1:${proxy.port}`, httpVersion: "1.1" }));
      expect((await client.getSystemStatus({})).version).toBe("test-1.2.3");
    } finally {
      await proxy.close();
    }
  });
});

describe("connections that say nothing useful", () => {
  it("closing before sending anything, or halfway through the preface, costs nothing", async () => {
    for (const bytes of [Buffer.alloc(0), HTTP2_PREFACE.subarray(0, 10)]) {
      await new Promise<void>((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port: harness.server.port }, () => socket.end(bytes));
        socket.on("close", () => resolve());
        socket.on("error", () => resolve());
      });
    }
    const t = transports(harness.url);
    try {
      expect((await createClient(SystemService, t.grpc).getSystemStatus({})).version).toBe("test-1.2.3");
      expect((await createClient(SystemService, t.connectHttp1).getSystemStatus({})).version).toBe("test-1.2.3");
    } finally {
      t.close();
    }
  });

  it("a connection silent past the first-bytes timeout is dropped, and close() ends connections still deciding", async () => {
    const { logger } = captureLogs();
    const port = await listenOnePort({ host: "127.0.0.1", port: 0, logger, firstBytesTimeoutMs: 150, handler: (_req, res) => res.end("ok") });
    const started = performance.now();
    const silent = await rawExchange(port.port, new Uint8Array(), 5_000);
    expect(silent.closedByServer).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);

    await port.close(1_000, () => undefined);

    // With a long first-bytes timeout, only close() can end a connection that is still deciding.
    const patient = await listenOnePort({ host: "127.0.0.1", port: 0, logger, firstBytesTimeoutMs: 60_000, handler: (_req, res) => res.end("ok") });
    const half = rawExchange(patient.port, HTTP2_PREFACE.subarray(0, 5), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const report = await patient.close(1_000, () => undefined);
    expect((await half).closedByServer).toBe(true);
    expect(report).toMatchObject({ drained: true, cutRequests: [] });
  });

  it("an HTTP/1.1 client that never finishes its headers is answered 408 and dropped", async () => {
    const { logger } = captureLogs();
    const port = await listenOnePort({ host: "127.0.0.1", port: 0, logger, http1HeadersTimeoutMs: 200, handler: (_req, res) => res.end("ok") });
    try {
      const started = performance.now();
      const stalled = await rawExchange(port.port, Buffer.from("GET / HTTP/1.1\r\nhost: x\r\nx-slow: "), 5_000);
      expect(stalled.closedByServer).toBe(true);
      expect(stalled.received.toString("latin1")).toMatch(/^HTTP\/1\.1 408/);
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await port.close(1_000, () => undefined);
    }
  });
});
