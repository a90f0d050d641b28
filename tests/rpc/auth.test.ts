import net from "node:net";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { SystemService } from "../../gen/pushpals/v1/system_pb.js";
import { isLoopbackHost } from "../../shared/rpc/loopback.js";
import { startRpcServer } from "../../shared/rpc/server.js";
import { bufCurl, transports, type Transports } from "./support/clients.js";
import { captureLogs, SESSION_ID, startTestServer, type TestServer } from "./support/test-server.js";

const TOKEN = "correct-horse-battery-staple";

let harness: TestServer;
let anonymous: Transports;
let wrongToken: Transports;
let rightToken: Transports;

beforeAll(async () => {
  harness = await startTestServer({ authToken: TOKEN, maxRequestBytes: 4096 });
  anonymous = transports(harness.url);
  wrongToken = transports(harness.url, { authorization: "Bearer not-the-token" });
  rightToken = transports(harness.url, { authorization: `bearer   ${TOKEN}` });
});

afterAll(async () => {
  for (const t of [anonymous, wrongToken, rightToken]) t.close();
  await harness.server.close();
});

async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded but should have failed");
}

const protocols: [string, (t: Transports) => Transport][] = [
  ["gRPC", (t) => t.grpc],
  ["Connect/HTTP1.1", (t) => t.connectHttp1],
  ["gRPC-Web/HTTP2", (t) => t.grpcWebHttp2],
];

describe("with a token configured", () => {
  it.each(protocols)("%s: a mutating call without, with a wrong and with the right token", async (_name, pick) => {
    const missing = await rpcError(createClient(SessionService, pick(anonymous)).createSession({ title: "t" }));
    expect(missing.code).toBe(Code.Unauthenticated);
    expect(missing.rawMessage).toBe(
      'pushpals.v1.SessionService/CreateSession needs the header "authorization: Bearer <token>", with the token the server was started with (PUSHPALS_AUTH_TOKEN); every call but health checks needs it',
    );

    const wrong = await rpcError(createClient(SessionService, pick(wrongToken)).createSession({ title: "t" }));
    expect(wrong.code).toBe(Code.Unauthenticated);
    expect(wrong.rawMessage).toContain("is not the server's; use the value of PUSHPALS_AUTH_TOKEN");

    const created = await createClient(SessionService, pick(rightToken)).createSession({ title: "with token" });
    expect(created.session?.title).toBe("with token");
  });

  it("checks the token before reading the body: an oversized anonymous request is Unauthenticated", async () => {
    const error = await rpcError(createClient(SessionService, anonymous.grpc).createSession({ title: "x".repeat(10_000) }));
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it("reads need the token too (sessions, events, status); health and open reflection do not", async () => {
    expect((await rpcError(createClient(SystemService, anonymous.connectHttp1).getSystemStatus({}))).code).toBe(Code.Unauthenticated);
    expect((await rpcError(createClient(SessionService, anonymous.grpc).getSession({ sessionId: SESSION_ID }))).code).toBe(Code.Unauthenticated);
    const stream = (async () => {
      for await (const _ of createClient(SessionService, anonymous.grpc).streamEvents({ sessionId: SESSION_ID })) break;
    })();
    expect((await rpcError(stream)).code).toBe(Code.Unauthenticated);
    expect((await createClient(SystemService, rightToken.connectHttp1).getSystemStatus({})).version).toBe("test-1.2.3");
    for await (const item of createClient(SessionService, rightToken.grpc).streamEvents({ sessionId: SESSION_ID })) {
      expect(item.message.case).toBe("event");
      break;
    }
    expect((await createClient(Health, anonymous.grpc).check({ service: "" })).status).toBe(Status.SERVING);
    const listed = await bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "--list-services", harness.url]);
    expect(listed.stdout).toContain("pushpals.v1.SessionService");
  });

  it("logs refusals as warnings with the RPC's name", () => {
    const refusals = harness.logs.filter((r) => r.code === "unauthenticated");
    expect(refusals.length).toBeGreaterThanOrEqual(2 * protocols.length + 1);
    expect(refusals.every((r) => r.level === 40 && typeof r.rpc === "string" && r.rpc.startsWith("pushpals.v1."))).toBe(true);
  });
});

describe("where the server may listen", () => {
  it("refuses a token shorter than 16 characters or with white space, before opening any port", async () => {
    const port = await freePort();
    const { logger } = captureLogs();
    const start = (authToken: string) => startRpcServer({ host: "127.0.0.1", port, register: () => {}, maxRequestBytes: 1024, shutdownGraceMs: 100, logger, authToken });
    await expect(start("short")).rejects.toThrow("the auth token (PUSHPALS_AUTH_TOKEN) is 5 characters long; use at least 16 (e.g. openssl rand -hex 32)");
    await expect(start("has white space in it")).rejects.toThrow(/contains white space/);
    expect(await canConnect(port)).toBe(false);
  });

  it("refuses a non-loopback host without a token, before opening any port", async () => {
    const port = await freePort();
    const { logger } = captureLogs();
    const attempt = startRpcServer({ host: "0.0.0.0", port, register: () => {}, maxRequestBytes: 1024, shutdownGraceMs: 100, logger });
    await expect(attempt).rejects.toThrow(/^refusing to listen on 0\.0\.0\.0 without an auth token: .* Set PUSHPALS_AUTH_TOKEN, or listen on 127\.0\.0\.1$/);
    expect(await canConnect(port)).toBe(false);
    // An empty token is no token.
    await expect(startRpcServer({ host: "::", port, register: () => {}, maxRequestBytes: 1024, shutdownGraceMs: 100, logger, authToken: "" })).rejects.toThrow(
      /refusing to listen on ::/,
    );
  });

  it("serves on a loopback name without a token, and leaves every method open there", async () => {
    const open = await startTestServer({ host: "localhost" });
    const t = transports(open.url);
    try {
      expect((await createClient(SessionService, t.grpc).createSession({ title: "open" })).session?.title).toBe("open");
    } finally {
      t.close();
      await open.server.close();
    }
  });

  it.each([
    ["127.0.0.1", true],
    ["127.9.8.7", true],
    ["::1", true],
    ["[::1]", true],
    ["localhost", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.1.2.3", false],
    ["192.168.0.1", false],
    ["host.invalid", false],
  ])("isLoopbackHost(%s) is %s", async (host, expected) => {
    expect(await isLoopbackHost(host)).toBe(expected);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
