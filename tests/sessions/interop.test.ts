import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { QueueService } from "../../gen/pushpals/v1/queues_pb.js";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { bufCurl, PROTO_DIR, transports, type Transports } from "../rpc/support/clients.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/**
 * The control plane against clients nobody here wrote, on its one port:
 * grpc-js loading the .proto files, `buf curl` through reflection, and the
 * Connect (HTTP/1.1) and gRPC-Web clients.
 */
describe("control plane interop", () => {
  let cp: TestControlPlane;
  let sessionId: string;
  beforeAll(async () => {
    cp = await startTestControlPlane();
    sessionId = (await cp.clients.sessions.createSession({ title: "interop" })).session!.id;
  });
  afterAll(() => cp?.stop());

  describe("@grpc/grpc-js with the .proto files", () => {
    let definition: protoLoader.PackageDefinition;
    let client: grpc.Client;
    beforeAll(async () => {
      definition = await protoLoader.load(["pushpals/v1/queues.proto", "pushpals/v1/sessions.proto"], {
        includeDirs: [PROTO_DIR],
        longs: String,
        enums: String,
        defaults: true,
        oneofs: true,
      });
      client = new grpc.Client(new URL(cp.url).host, grpc.credentials.createInsecure());
    });
    afterAll(() => client.close());

    const method = (service: string, name: string) => (definition[service] as grpc.ServiceDefinition)[name]!;

    it("enqueues over gRPC, then streams the session's events", async () => {
      const enqueue = method("pushpals.v1.QueueService", "Enqueue");
      const enqueued = await new Promise<{ item: { id: string; status: string } }>((resolve, reject) =>
        client.makeUnaryRequest(
          enqueue.path,
          enqueue.requestSerialize,
          enqueue.responseDeserialize,
          { queue: "QUEUE_NAME_JOBS", sessionId, payload: { taskExecuteV2: { lane: "LANE_DETERMINISTIC", instruction: "echo from grpc-js" } } },
          (error, value) => (error ? reject(error) : resolve(value as { item: { id: string; status: string } })),
        ),
      );
      expect(enqueued.item.id).toMatch(/^job_/);
      expect(enqueued.item.status).toBe("ITEM_STATUS_PENDING");

      const stream = method("pushpals.v1.SessionService", "StreamEvents");
      const call = client.makeServerStreamRequest(stream.path, stream.requestSerialize, stream.responseDeserialize, { sessionId, afterSeq: "0" });
      const kinds: string[] = [];
      for await (const res of call as AsyncIterable<{ event?: { seq: string; payload?: string; itemId: string } }>) {
        if (!res.event) continue;
        kinds.push(`${res.event.seq}:${res.event.payload}`);
        if (res.event.itemId === enqueued.item.id) break;
      }
      call.cancel();
      expect(kinds).toEqual(["1:sessionCreated", "2:jobEnqueued"]);
    });
  });

  describe("buf curl through reflection (no proto files)", () => {
    it("lists the control plane's services", async () => {
      const listed = await bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "--list-services", cp.url]);
      expect(listed.exitCode, listed.stderr).toBe(0);
      const services = listed.stdout.split("\n").filter(Boolean);
      expect(services).toEqual(
        expect.arrayContaining(["pushpals.v1.SessionService", "pushpals.v1.QueueService", "pushpals.v1.ExecutionService", "pushpals.v1.SystemService", "grpc.health.v1.Health"]),
      );
    });

    it("calls a method", async () => {
      const called = await bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "-d", JSON.stringify({ sessionId }), `${cp.url}/pushpals.v1.SessionService/GetSession`]);
      expect(called.exitCode, called.stderr).toBe(0);
      expect(JSON.parse(called.stdout)).toMatchObject({ session: { id: sessionId, title: "interop" } });
    });
  });

  describe("Connect over HTTP/1.1 and gRPC-Web on the same port", () => {
    let t: Transports;
    beforeAll(() => {
      t = transports(cp.url);
    });
    afterAll(() => t.close());

    it.each(["connectHttp1", "grpcWebHttp1", "grpcWebHttp2", "grpc"] as const)("%s enqueues and reads back", async (flavour) => {
      const queues = createClient(QueueService, t[flavour]);
      const sessions = createClient(SessionService, t[flavour]);
      const { item } = await queues.enqueue({
        queue: QueueName.REQUESTS,
        sessionId,
        payload: { kind: { case: "request", value: { text: `hello over ${flavour}` } } },
      });
      const { item: read } = await queues.getItem({ itemId: item!.id });
      expect(read?.payload?.kind.case === "request" && read.payload.kind.value.text).toBe(`hello over ${flavour}`);
      const { events } = await sessions.listEvents({ sessionId, itemId: item!.id });
      expect(events.map((e) => e.payload.case)).toEqual(["requestEnqueued"]);
    });
  });
});
