import { writeFile, mkdir } from "node:fs/promises";
import http from "node:http";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createClient, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { SystemService } from "../../gen/pushpals/v1/system_pb.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { bufCurl, PROTO_DIR, transports, type Transports } from "./support/clients.js";
import { SESSION_ID, startTestServer, type TestServer } from "./support/test-server.js";

let harness: TestServer;
let clients: Transports;
let web: TempDir;

beforeAll(async () => {
  web = await tempDir("pushpals-rpc-web-");
  await mkdir(join(web.path, "assets"));
  await writeFile(join(web.path, "index.html"), "<!doctype html><title>PushPals</title>");
  await writeFile(join(web.path, "assets", "app.js"), "console.log('mission control');");
  harness = await startTestServer({ staticDir: web.path });
  clients = transports(harness.url);
});

afterAll(async () => {
  clients.close();
  await harness.server.close();
  await web.remove();
});

describe("Connect-ES clients of every protocol share the one port", () => {
  const flavours: [string, () => Transport][] = [
    ["Connect over HTTP/1.1", () => clients.connectHttp1],
    ["Connect over HTTP/2", () => clients.connectHttp2],
    ["gRPC over HTTP/2 (h2c)", () => clients.grpc],
    ["gRPC-Web over HTTP/1.1", () => clients.grpcWebHttp1],
    ["gRPC-Web over HTTP/2", () => clients.grpcWebHttp2],
  ];
  it.each(flavours)("%s: unary call and a server stream", async (_name, transport) => {
    const status = await createClient(SystemService, transport()).getSystemStatus({});
    expect(status.version).toBe("test-1.2.3");
    expect(status.repo).toBe("/srv/repo");

    const abort = new AbortController();
    const seqs: bigint[] = [];
    for await (const item of createClient(SessionService, transport()).streamEvents({ sessionId: SESSION_ID }, { signal: abort.signal })) {
      if (item.message.case !== "event") continue;
      expect(item.message.value.sessionId).toBe(SESSION_ID);
      seqs.push(item.message.value.seq);
      if (seqs.length === 3) break;
    }
    expect(seqs).toEqual([1n, 2n, 3n]);
  });

  it("a plain fetch speaks Connect JSON over HTTP/1.1", async () => {
    const response = await fetch(`${harness.url}/pushpals.v1.SessionService/GetSession`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sessionId: SESSION_ID }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ session: { id: SESSION_ID, title: "echo" } });
  });

  it("read-only methods answer Connect GET requests", async () => {
    const message = encodeURIComponent(JSON.stringify({ sessionId: SESSION_ID }));
    const response = await fetch(`${harness.url}/pushpals.v1.SessionService/GetSession?connect=v1&encoding=json&message=${message}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { session: { id: string } }).session.id).toBe(SESSION_ID);
  });
});

describe("@grpc/grpc-js with the .proto files (a client nobody here wrote)", () => {
  let definition: protoLoader.PackageDefinition;
  let client: grpc.Client;
  beforeAll(async () => {
    definition = await protoLoader.load(["pushpals/v1/system.proto", "pushpals/v1/sessions.proto"], {
      includeDirs: [PROTO_DIR],
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    client = new grpc.Client(`127.0.0.1:${harness.server.port}`, grpc.credentials.createInsecure());
  });
  afterAll(() => client.close());

  function method(service: string, name: string): grpc.MethodDefinition<object, object> {
    const found = (definition[service] as grpc.ServiceDefinition | undefined)?.[name];
    if (!found) throw new Error(`${service}/${name} missing from the loaded protos`);
    return found;
  }

  it("calls a unary method over h2c", async () => {
    const m = method("pushpals.v1.SystemService", "GetSystemStatus");
    const reply = await new Promise<object>((resolve, reject) =>
      client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, {}, (error, value) => (error ? reject(error) : resolve(value ?? {}))),
    );
    expect(reply).toMatchObject({ version: "test-1.2.3", store: "STORE_KIND_POSTGRES", bus: "BUS_KIND_NATS" });
  });

  it("reads a server stream over h2c", async () => {
    const m = method("pushpals.v1.SessionService", "StreamEvents");
    const call = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, { sessionId: SESSION_ID, afterSeq: "0" });
    const seen: unknown[] = [];
    for await (const item of call as AsyncIterable<{ event?: { seq: string; message?: { text: string } } }>) {
      seen.push({ seq: item.event?.seq, text: item.event?.message?.text });
      if (seen.length === 3) break;
    }
    call.cancel();
    expect(seen).toEqual([
      { seq: "1", text: "event 1" },
      { seq: "2", text: "event 2" },
      { seq: "3", text: "event 3" },
    ]);
  });

  it("gets a gRPC status for a bad request, with the field named", async () => {
    const m = method("pushpals.v1.SessionService", "GetSession");
    const error = await new Promise<grpc.ServiceError>((resolve, reject) =>
      client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, { sessionId: "nope" }, (e) => (e ? resolve(e) : reject(new Error("no error")))),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    // Connect-ES percent-encodes grpc-message with encodeURIComponent (as the gRPC spec allows);
    // grpc-js decodes it with decodeURI, which leaves reserved characters such as ":" encoded.
    expect(decodeURIComponent(error.details)).toBe('session_id: must be a session id like ses_01J… (got "nope")');
  });
});

describe("buf curl through server reflection (no proto files)", () => {
  for (const version of ["grpc-v1", "grpc-v1alpha"] as const) {
    it(`${version}: lists services and methods, then calls methods`, async () => {
      const base = ["--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", version];
      const services = await bufCurl([...base, "--list-services", harness.url]);
      expect(services.stderr).toBe("");
      expect(services.stdout.trim().split("\n").sort()).toEqual([
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "pushpals.v1.SessionService",
        "pushpals.v1.SystemService",
      ]);

      const methods = await bufCurl([...base, "--list-methods", harness.url]);
      expect(methods.stdout).toContain("pushpals.v1.SessionService/StreamEvents");
      expect(methods.stdout).toContain("pushpals.v1.SystemService/GetSystemStatus");
      expect(methods.stdout).toContain("grpc.health.v1.Health/Watch");

      // GetSystemStatus pulls in queues.proto, common.proto and google/protobuf/timestamp.proto.
      const status = await bufCurl([...base, `${harness.url}/pushpals.v1.SystemService/GetSystemStatus`]);
      expect(status.stderr).toBe("");
      expect(JSON.parse(status.stdout)).toEqual({ version: "test-1.2.3", store: "STORE_KIND_POSTGRES", bus: "BUS_KIND_NATS", repo: "/srv/repo" });

      const session = await bufCurl([...base, "-d", JSON.stringify({ sessionId: SESSION_ID }), `${harness.url}/pushpals.v1.SessionService/GetSession`]);
      expect(JSON.parse(session.stdout)).toEqual({ session: { id: SESSION_ID, title: "echo" } });

      const bad = await bufCurl([...base, "-d", JSON.stringify({ sessionId: "x" }), `${harness.url}/pushpals.v1.SessionService/GetSession`]);
      expect(bad.exitCode).toBe(3 << 3); // buf curl exits with the gRPC code shifted left by 3
      expect(bad.stderr).toContain("session_id: must be a session id");
    });
  }

  it("buf curl's default Connect protocol over HTTP/1.1 works too", async () => {
    const result = await bufCurl([`${harness.url}/pushpals.v1.SystemService/GetSystemStatus`]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toMatchObject({ version: "test-1.2.3" });
  });
});

describe("grpc.health.v1", () => {
  it("checks the server, each service, and refuses unknown names", async () => {
    const health = createClient(Health, clients.grpc);
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await health.check({ service: "pushpals.v1.SessionService" })).status).toBe(Status.SERVING);
    await expect(health.check({ service: "pushpals.v1.Nope" })).rejects.toMatchObject({ code: 5, rawMessage: expect.stringContaining("Health/List") });
    const { statuses } = await health.list({});
    expect(Object.keys(statuses).sort()).toEqual([
      "",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "pushpals.v1.SessionService",
      "pushpals.v1.SystemService",
    ]);
  });

  it("Watch sends the current status, then every change; unknown names read SERVICE_UNKNOWN", async () => {
    const health = createClient(Health, clients.grpc);
    const abort = new AbortController();
    const watched: Status[] = [];
    for await (const { status } of health.watch({ service: "pushpals.v1.SystemService" }, { signal: abort.signal })) {
      watched.push(status);
      if (watched.length === 1) harness.server.health.set("pushpals.v1.SystemService", Status.NOT_SERVING);
      if (watched.length === 2) harness.server.health.set("pushpals.v1.SystemService", Status.SERVING);
      if (watched.length === 3) break;
    }
    expect(watched).toEqual([Status.SERVING, Status.NOT_SERVING, Status.SERVING]);

    for await (const { status } of health.watch({ service: "pushpals.v1.Nope" }, { signal: abort.signal })) {
      expect(status).toBe(Status.SERVICE_UNKNOWN);
      break;
    }
  });
});

describe("static files for the web UI", () => {
  it("serves files, falls back to index.html for UI routes, and refuses what is not there", async () => {
    const asset = await fetch(`${harness.url}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await asset.text()).toBe("console.log('mission control');");

    const root = await fetch(`${harness.url}/`);
    expect(await root.text()).toContain("<title>PushPals</title>");
    const route = await fetch(`${harness.url}/sessions/ses_123`);
    expect(route.status).toBe(200);
    expect(route.headers.get("cache-control")).toBe("no-cache");
    expect(await route.text()).toContain("<title>PushPals</title>");

    expect((await fetch(`${harness.url}/assets/missing.js`)).status).toBe(404);
    // Raw paths: fetch would normalise the dots away before they reach the server.
    for (const path of ["/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd", "/assets/%00.js"]) {
      expect(await rawGet(harness.server.port, path), path).toMatchObject({ status: 404 });
    }
    expect((await fetch(`${harness.url}/pushpals.v1.SystemService/NoSuchMethod`, { method: "POST" })).status).toBe(404);
    const head = await fetch(`${harness.url}/assets/app.js`, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe("31");
  });
});

function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}
