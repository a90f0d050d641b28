import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssistantMessageSchema, EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";
import { SessionService, StreamEventsResponseSchema } from "../../gen/pushpals/v1/sessions_pb.js";
import { binaryEventResponse, encodesBinary, plainEventResponse } from "../../services/control-plane/event-frames.js";
import { mapStream, observeStream } from "../../shared/rpc/stream-hooks.js";
import { toTimestamp } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/*
 * Live events are encoded once per event and the bytes shared by every binary stream
 * (issue 17). These check that the shared form is byte-for-byte the ordinary encoding,
 * that JSON streams still get the event, and that every protocol's client decodes the
 * very events AppendEvents returned.
 */

function sampleEvent(seq: bigint, text: string): Event {
  return create(EventSchema, {
    sessionId: "ses_01JTESTTESTTESTTESTTESTTES",
    seq,
    time: toTimestamp(1_765_000_000_123),
    itemId: "job_01JTESTTESTTESTTESTTESTTES",
    payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text, source: MessageSource.CHAT }) },
  });
}

describe("the shared StreamEvents response of an event", () => {
  it("encodes to exactly the bytes of the response built the ordinary way, and decodes to the event", () => {
    const event = sampleEvent(42n, "naïve café ✓ — a longer text ".repeat(20));
    const shared = toBinary(StreamEventsResponseSchema, binaryEventResponse(event));
    const ordinary = toBinary(StreamEventsResponseSchema, create(StreamEventsResponseSchema, { message: { case: "event", value: event } }));
    expect(Buffer.from(shared).equals(Buffer.from(ordinary))).toBe(true);
    const decoded = fromBinary(StreamEventsResponseSchema, shared);
    expect(decoded.message.case).toBe("event");
    expect(equals(EventSchema, decoded.message.value as Event, event)).toBe(true);
  });

  it("is built once per event object and shared, and is a different object for another event", () => {
    const event = sampleEvent(1n, "one");
    expect(binaryEventResponse(event)).toBe(binaryEventResponse(event));
    expect(plainEventResponse(event)).toBe(plainEventResponse(event));
    expect(binaryEventResponse(sampleEvent(1n, "one"))).not.toBe(binaryEventResponse(event));
    expect(plainEventResponse(event).message).toEqual({ case: "event", value: event });
  });

  it("is used only for content types that encode protobuf binary", () => {
    for (const binary of [
      "application/grpc",
      "application/grpc+proto",
      "application/grpc-web",
      "application/grpc-web+proto",
      "application/connect+proto",
      "Application/Connect+Proto",
    ]) {
      expect(encodesBinary(binary), binary).toBe(true);
    }
    for (const json of ["application/grpc+json", "application/grpc-web+json", "application/connect+json", "application/json", "application/grpc-web-text", "", null]) {
      expect(encodesBinary(json), String(json)).toBe(false);
    }
  });
});

describe("stream hooks", () => {
  async function* source(values: number[], failAt?: number) {
    for (const [i, value] of values.entries()) {
      if (i === failAt) throw new Error("source failed");
      yield value;
    }
  }

  it("passes every message on, mapped, and ends once when the source is done", async () => {
    let ends = 0;
    const out: string[] = [];
    for await (const value of mapStream(source([1, 2, 3]), (n) => `#${n}`, { onEnd: () => ends++ })) out.push(value);
    expect(out).toEqual(["#1", "#2", "#3"]);
    expect(ends).toBe(1);
  });

  it("throws what onError returns, and ends once", async () => {
    let ends = 0;
    const seen: unknown[] = [];
    const stream = observeStream(source([1, 2, 3], 2), {
      onError: (error) => (seen.push(error), new Error("replaced")),
      onEnd: () => ends++,
    });
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const value of stream) out.push(value);
      })(),
    ).rejects.toThrow("replaced");
    expect(out).toEqual([1, 2]);
    expect((seen[0] as Error).message).toBe("source failed");
    expect(ends).toBe(1);
  });

  it("ends once and stops the source when the reader leaves early", async () => {
    let ends = 0;
    let sourceFinished = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        sourceFinished = true;
      }
    }
    for await (const value of observeStream(endless(), { onEnd: () => ends++ })) if (value === 5) break;
    expect(sourceFinished).toBe(true);
    expect(ends).toBe(1);
  });
});

describe("StreamEvents over every protocol, binary and JSON, with the shared responses", () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane({ env: { PUSHPALS_LOG_LEVEL: "silent" }, store: "sqlite" });
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it("delivers each live event, whole and once, to followers on Connect, gRPC and gRPC-Web in both encodings", async () => {
    const baseUrl = cp.url;
    const transports: Record<string, Transport> = {
      "connect binary": createConnectTransport({ baseUrl, httpVersion: "2" }),
      "connect json": createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
      grpc: createGrpcTransport({ baseUrl }),
      "grpc json": createGrpcTransport({ baseUrl, useBinaryFormat: false }),
      "grpc-web binary": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
      "grpc-web json": createGrpcWebTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
    };
    const { session } = await cp.clients.sessions.createSession({ title: "frames" });
    const sessionId = session!.id;
    const total = 30;
    const leave = new AbortController();
    const followers = Object.entries(transports).map(async ([name, transport]) => {
      const received: Event[] = [];
      try {
        for await (const res of createClient(SessionService, transport).streamEvents({ sessionId, afterSeq: session!.lastSeq }, { signal: leave.signal })) {
          if (res.message.case === "event") received.push(res.message.value);
          else if (res.message.case !== "keepalive") throw new Error(`${name}: a response with neither an event nor a keep-alive`);
          if (received.length === total) break;
        }
      } catch (error) {
        if (!(error instanceof ConnectError && error.code === Code.Canceled)) throw error;
      }
      return [name, received] as const;
    });
    // Let every follower go live, then append: the live path (the hub's shared event objects) is the one under test.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const appended: Event[] = [];
    for (let i = 0; i < total; i += 5) {
      const events = Array.from({ length: 5 }, (_, k) =>
        create(EventSchema, { payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text: `reply ${i + k} ✓`, source: MessageSource.CHAT }) } }),
      );
      appended.push(...(await cp.clients.sessions.appendEvents({ sessionId, events })).events);
    }
    const timer = setTimeout(() => leave.abort(), 10_000);
    const results = await Promise.all(followers);
    clearTimeout(timer);
    for (const [name, received] of results) {
      expect(
        received.map((event) => event.seq),
        name,
      ).toEqual(appended.map((event) => event.seq));
      for (const [i, event] of received.entries()) expect(equals(EventSchema, event, appended[i]!), `${name}: event ${event.seq}`).toBe(true);
    }
  });
});
