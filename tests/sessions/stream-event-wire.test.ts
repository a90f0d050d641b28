import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import http2 from "node:http2";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssistantMessageSchema, EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";
import { StreamEventsRequestSchema, StreamEventsResponseSchema } from "../../gen/pushpals/v1/sessions_pb.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/*
 * Binary StreamEvents write their frames beneath Connect (issue 17). This reads the raw
 * response body of each binary protocol and checks that every frame is exactly the
 * envelope Connect writes for the ordinary message — flags, length and bytes — that
 * frames are back to back with nothing between them, and that, when the client accepts
 * gzip, an event big enough for Connect to compress still arrives compressed.
 */

const PROTOCOLS = [
  { name: "gRPC", contentType: "application/grpc+proto", acceptEncoding: "grpc-accept-encoding", headers: { te: "trailers" } },
  { name: "gRPC-Web", contentType: "application/grpc-web+proto", acceptEncoding: "grpc-accept-encoding", headers: {} },
  { name: "Connect", contentType: "application/connect+proto", acceptEncoding: "connect-accept-encoding", headers: { "connect-protocol-version": "1" } },
] as const;

interface Frame {
  flags: number;
  data: Buffer;
}

/** Splits a body into envelopes; throws if the bytes are not back-to-back envelopes. */
function framesOf(body: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  while (body.length - at >= 5) {
    const length = body.readUInt32BE(at + 1);
    if (body.length - at - 5 < length) break;
    frames.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return { frames, rest: body.subarray(at) };
}

function event(text: string): Event {
  return create(EventSchema, { payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text, source: MessageSource.CHAT }) } });
}

describe("StreamEvents frames on the wire", () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane({ env: { PUSHPALS_LOG_LEVEL: "silent" }, store: "sqlite" });
  });
  afterAll(async () => {
    await cp?.stop();
  });

  for (const protocol of PROTOCOLS) {
    for (const gzip of [false, true]) {
      it(`${protocol.name}${gzip ? ", gzip accepted" : ""}: each event's frame is Connect's envelope of the ordinary response, back to back`, async () => {
        const { session } = await cp.clients.sessions.createSession({ title: `wire ${protocol.name}` });
        const sessionId = session!.id;
        const client = http2.connect(cp.url);
        try {
          const request = client.request({
            ":method": "POST",
            ":path": "/pushpals.v1.SessionService/StreamEvents",
            "content-type": protocol.contentType,
            ...protocol.headers,
            ...(gzip ? { [protocol.acceptEncoding]: "gzip" } : {}),
          });
          let responseHeaders: http2.IncomingHttpHeaders = {};
          request.on("response", (headers) => (responseHeaders = headers));
          const message = Buffer.from(toBinary(StreamEventsRequestSchema, create(StreamEventsRequestSchema, { sessionId, afterSeq: session!.lastSeq })));
          const head = Buffer.alloc(5);
          head.writeUInt32BE(message.length, 1);
          request.end(Buffer.concat([head, message]));
          const chunks: Buffer[] = [];
          request.on("data", (chunk: Buffer) => chunks.push(chunk));
          await new Promise((resolve) => setTimeout(resolve, 300));

          // Bursts of several events (batched into one write beneath Connect) and one event past the compression threshold.
          const big = "a big event that Connect compresses when the client accepts gzip ".repeat(40);
          const appended: Event[] = [];
          for (const texts of [["first"], ["a", "b", "c", "d"], [big, "after the big one"], ["e", "f"]]) {
            appended.push(...(await cp.clients.sessions.appendEvents({ sessionId, events: texts.map(event) })).events);
          }
          const deadline = Date.now() + 10_000;
          let parsed = framesOf(Buffer.concat(chunks));
          while (parsed.frames.length < appended.length && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            parsed = framesOf(Buffer.concat(chunks));
          }
          request.close();

          expect(parsed.rest.length, "no partial frame left over").toBe(0);
          const eventFrames = parsed.frames.filter((frame) => {
            const data = frame.flags === 1 ? gunzipSync(frame.data) : frame.data;
            return fromBinary(StreamEventsResponseSchema, data).message.case === "event";
          });
          expect(eventFrames.length).toBe(appended.length);
          for (const [i, frame] of eventFrames.entries()) {
            const ordinary = Buffer.from(toBinary(StreamEventsResponseSchema, create(StreamEventsResponseSchema, { message: { case: "event", value: appended[i]! } })));
            const compressed = gzip && ordinary.length >= 1024;
            expect(frame.flags, `event ${i}: compressed exactly when Connect compresses`).toBe(compressed ? 1 : 0);
            expect(Buffer.compare(compressed ? gunzipSync(frame.data) : frame.data, ordinary), `event ${i}'s bytes`).toBe(0);
          }
          expect(responseHeaders["content-type"]).toBe(protocol.contentType);
        } finally {
          client.close();
        }
      });
    }
  }
});
