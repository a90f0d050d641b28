import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { SystemService } from "../../gen/pushpals/v1/system_pb.js";
import { HTTP2_PREFACE } from "../../shared/rpc/sniff-protocol.js";
import { transports, type Transports } from "./support/clients.js";
import { grpcFrame, h2Request, rawExchange } from "./support/raw.js";
import { SESSION_ID, startTestServer, type LogRecord, type TestServer } from "./support/test-server.js";

let harness: TestServer;
let clients: Transports;

beforeAll(async () => {
  harness = await startTestServer({ maxRequestBytes: 16 * 1024 });
  clients = transports(harness.url);
});

afterAll(async () => {
  clients.close();
  await harness.server.close();
});

/** After every mistreatment the server must still answer, on both wire protocols. */
async function stillServing(): Promise<void> {
  for (const transport of [clients.connectHttp1, clients.grpc]) {
    expect((await createClient(SystemService, transport).getSystemStatus({})).version).toBe("test-1.2.3");
  }
}

async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded but should have failed");
}

function logsFor(rpc: string): LogRecord[] {
  return harness.logs.filter((record) => record.rpc === rpc);
}

const protocols: [string, () => Transport][] = [
  ["Connect/HTTP1.1", () => clients.connectHttp1],
  ["gRPC/h2c", () => clients.grpc],
  ["gRPC-Web/HTTP1.1", () => clients.grpcWebHttp1],
];

describe("request size limit", () => {
  it.each(protocols)("%s: a request over maxRequestBytes is ResourceExhausted and the server keeps serving", async (_name, transport) => {
    const error = await rpcError(createClient(SessionService, transport()).createSession({ title: "x".repeat(20 * 1024) }));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toContain("16384");
    await stillServing();
  });

  it("logs each refusal as a warning with the RPC's name", () => {
    const refusals = logsFor("pushpals.v1.SessionService/CreateSession").filter((r) => r.code === "resource_exhausted");
    expect(refusals.length).toBeGreaterThanOrEqual(protocols.length);
    expect(refusals.every((r) => r.level === 40)).toBe(true);
  });
});

describe("garbage on the wire", () => {
  it("garbage after the HTTP/2 preface costs only that connection", async () => {
    const garbage = Buffer.concat([HTTP2_PREFACE, Buffer.from("\u0000\u0000\u0004\u0009this is no HTTP/2 frame at all, just noise\r\n")]);
    const exchange = await rawExchange(harness.server.port, garbage);
    expect(exchange.closedByServer).toBe(true);
    // The server spoke HTTP/2 back (its SETTINGS, then GOAWAY) rather than hanging up blind.
    expect(exchange.received.length).toBeGreaterThan(0);
    await stillServing();
  });

  it("garbage on HTTP/1.1 gets a 400 and a closed connection", async () => {
    const exchange = await rawExchange(harness.server.port, Buffer.from("G\u0000RBAGE \u0001\u0002 nonsense\r\n\r\n"));
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.received.toString("latin1")).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    await stillServing();
  });

  it("a wrong content type is refused with 415 on both HTTP versions", async () => {
    const http1 = await fetch(`${harness.url}/pushpals.v1.SystemService/GetSystemStatus`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(http1.status).toBe(415);
    const http2 = await h2Request(
      harness.url,
      "/pushpals.v1.SystemService/GetSystemStatus",
      { "content-type": "application/grpc+xml", te: "trailers" },
      grpcFrame(new Uint8Array()),
    );
    expect(http2.status).toBe(415);
    await stillServing();
  });
});

describe("a request body that is not valid protobuf", () => {
  // Field 1 (session_id) claims 5 bytes and carries 1.
  const corrupt = new Uint8Array([0x0a, 0x05, 0x41]);

  it("gRPC: InvalidArgument naming the expected message, not Internal", async () => {
    const reply = await h2Request(harness.url, "/pushpals.v1.SessionService/GetSession", { "content-type": "application/grpc", te: "trailers" }, grpcFrame(corrupt));
    const status = reply.trailers["grpc-status"] ?? reply.headers["grpc-status"];
    const message = decodeURIComponent(String(reply.trailers["grpc-message"] ?? reply.headers["grpc-message"]));
    expect(status).toBe(String(Code.InvalidArgument));
    expect(message).toMatch(/^the request body is not a valid pushpals\.v1\.GetSessionRequest \(premature EOF\)/);
    await stillServing();
  });

  it("Connect binary: HTTP 400 invalid_argument", async () => {
    const reply = await fetch(`${harness.url}/pushpals.v1.SessionService/GetSession`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: corrupt,
    });
    expect(reply.status).toBe(400);
    expect(await reply.json()).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("pushpals.v1.GetSessionRequest") });
  });

  it("gRPC-Web: InvalidArgument", async () => {
    const reply = await fetch(`${harness.url}/pushpals.v1.SessionService/GetSession`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: grpcFrame(corrupt),
    });
    const trailerText = reply.headers.get("grpc-status") ?? Buffer.from(await reply.arrayBuffer()).toString("latin1");
    expect(trailerText).toMatch(/^3$|grpc-status: ?3\b/);
  });

  it("is logged as a warning, never as an internal error", () => {
    const records = logsFor("pushpals.v1.SessionService/GetSession");
    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(records.every((r) => r.code === "invalid_argument" && r.level === 40)).toBe(true);
  });
});

describe("handler faults", () => {
  it.each(protocols)("%s: a handler's plain Error becomes Internal with a safe message; the log keeps the details", async (_name, transport) => {
    const error = await rpcError(createClient(SessionService, transport()).postMessage({ sessionId: SESSION_ID, text: "boom" }));
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toMatch(/^internal error [0-9a-f]{8}; the server log has the details under this id/);
    expect(error.rawMessage).not.toMatch(/hunter2|db-7/);

    const id = /internal error ([0-9a-f]{8})/.exec(error.rawMessage)?.[1] ?? "";
    const record = harness.logs.find((r) => typeof r.msg === "string" && r.msg.includes(id));
    expect(record).toMatchObject({ level: 50, rpc: "pushpals.v1.SessionService/PostMessage", code: "internal" });
    expect((record?.err as { stack?: string } | undefined)?.stack).toContain("password=hunter2");
  });

  it("a stream that fails midway delivers what came before, then Internal", async () => {
    const seqs: bigint[] = [];
    const error = await rpcError(
      (async () => {
        for await (const item of createClient(SessionService, clients.grpc).streamEvents({ sessionId: SESSION_ID, itemId: "boom" })) {
          if (item.message.case === "event") seqs.push(item.message.value.seq);
        }
      })(),
    );
    expect(seqs).toEqual([1n]);
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).not.toContain("secretColumn");
    const record = logsFor("pushpals.v1.SessionService/StreamEvents").find((r) => r.code === "internal");
    expect((record?.err as { stack?: string } | undefined)?.stack).toContain("secretColumn");
  });

  it("a caller that cancels is not logged as an error", async () => {
    const before = logsFor("pushpals.v1.SessionService/StreamEvents").length;
    const finishedBefore = harness.probe.streamsFinished.length;
    const abort = new AbortController();
    const error = await rpcError(
      (async () => {
        for await (const _ of createClient(SessionService, clients.grpc).streamEvents({ sessionId: SESSION_ID }, { signal: abort.signal })) abort.abort();
      })(),
    );
    expect(error.code).toBe(Code.Canceled);
    // The server sees the reset a moment later; give it that moment before checking the log stayed quiet.
    await expect.poll(() => harness.probe.streamsFinished.length).toBe(finishedBefore + 1);
    expect(logsFor("pushpals.v1.SessionService/StreamEvents").length).toBe(before);
  });
});
