import net from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { transports, type Transports } from "./support/clients.js";
import { SESSION_ID, startTestServer, type TestServer } from "./support/test-server.js";

let harness: TestServer | undefined;
let clients: Transports | undefined;

async function start(shutdownGraceMs: number): Promise<{ harness: TestServer; clients: Transports }> {
  harness = await startTestServer({ shutdownGraceMs });
  clients = transports(harness.url);
  return { harness, clients };
}

afterEach(async () => {
  clients?.close();
  await harness?.server.close();
  harness = undefined;
  clients = undefined;
});

/** Opens StreamEvents, reads the three replayed events, and returns how the stream then ended. */
async function openStream(stream: AsyncIterable<{ message: { case: string | undefined } }>, onReady: () => void): Promise<{ events: number; error?: ConnectError }> {
  let events = 0;
  try {
    for await (const item of stream) {
      if (item.message.case === "event") events += 1;
      if (events === 3) onReady();
    }
    return { events };
  } catch (error) {
    return { events, error: ConnectError.from(error) };
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(false)));
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

describe("close()", () => {
  it("ends open server streams cleanly (their finally blocks run), refuses new connections, and returns well within the grace period", async () => {
    const { harness, clients } = await start(5_000);
    let ready = 0;
    const streams: Promise<{ events: number; error?: ConnectError }>[] = [];
    const allReady = new Promise<void>((resolve) => {
      const onReady = () => ++ready === 3 && resolve();
      streams.push(
        openStream(createClient(SessionService, clients.grpc).streamEvents({ sessionId: SESSION_ID }), onReady),
        openStream(createClient(SessionService, clients.connectHttp1).streamEvents({ sessionId: SESSION_ID }), onReady),
        openStream(createClient(SessionService, clients.grpcWebHttp1).streamEvents({ sessionId: SESSION_ID }), onReady),
      );
    });
    await allReady;

    const started = performance.now();
    const report = await harness.server.close();
    const elapsed = performance.now() - started;

    expect(await Promise.all(streams)).toEqual([{ events: 3 }, { events: 3 }, { events: 3 }]);
    expect(harness.probe.streamsFinished).toHaveLength(3);
    for (const reason of harness.probe.streamsFinished) {
      expect(reason).toMatchObject({ code: Code.Unavailable, rawMessage: expect.stringContaining("shutting down") });
    }
    expect(report).toMatchObject({ drained: true, cutRequests: [], cutConnections: 0 });
    expect(elapsed).toBeLessThan(1_500);
    expect(await refused(harness.server.port)).toBe(true);
    // Shutdown aborts are expected: none of them is logged as a failed call.
    expect(harness.logs.filter((r) => r.rpc !== undefined)).toEqual([]);
  });

  it("lets a unary call that is already running finish, and tells health watchers first", async () => {
    const { harness, clients } = await start(5_000);
    const watched: Status[] = [];
    const watching = (async () => {
      for await (const { status } of createClient(Health, clients.grpc).watch({ service: "" })) watched.push(status);
    })().catch(() => undefined);
    await expect.poll(() => watched).toEqual([Status.SERVING]);

    const slow = createClient(SessionService, clients.connectHttp2).listEvents({ sessionId: SESSION_ID, limit: 400, afterSeq: 7n });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const report = await harness.server.close();

    expect((await slow).nextAfterSeq).toBe(7n);
    expect(harness.probe.slowCalls).toEqual(["completed"]);
    expect(report.drained).toBe(true);
    await watching;
    expect(watched).toEqual([Status.SERVING, Status.NOT_SERVING]);
    expect(harness.server.health.get("pushpals.v1.SessionService")).toBe(Status.NOT_SERVING);
  });

  it("cuts a call that outlives the grace period, tells its handler, and reports it", async () => {
    const { harness, clients } = await start(300);
    const stuck = createClient(SessionService, clients.connectHttp1)
      .listEvents({ sessionId: SESSION_ID, limit: 60_000 })
      .then(
        () => undefined,
        (error: unknown) => ConnectError.from(error),
      );
    await new Promise((resolve) => setTimeout(resolve, 50));

    const started = performance.now();
    const report = await harness.server.close();
    const elapsed = performance.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    expect(report).toMatchObject({ drained: false, cutRequests: ["POST /pushpals.v1.SessionService/ListEvents"] });
    expect((await stuck)?.code).toBeDefined();
    expect(harness.probe.slowCalls).toHaveLength(1);
    expect(harness.probe.slowCalls[0]).toMatchObject({ code: Code.Unavailable, rawMessage: expect.stringContaining("shut down before this call finished") });
    expect(harness.logs.find((r) => String(r.msg).startsWith("rpc server stopped; cut 1 call"))).toBeDefined();
  });

  it("is idempotent: a second close() gets the same report", async () => {
    const { harness } = await start(1_000);
    const first = harness.server.close();
    expect(harness.server.close()).toBe(first);
    expect((await first).drained).toBe(true);
  });
});
