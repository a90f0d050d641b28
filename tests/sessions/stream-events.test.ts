import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssistantMessageSchema, EventSchema } from "../../gen/pushpals/v1/events_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../../shared/clients.js";
import { SHARED_NATS_URL } from "../bus/support/buses.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";

interface Setup {
  name: string;
  store: "sqlite" | "postgres";
  natsUrl?: string;
  /** Writes go through a second control plane: the streams' plane hears of them only by NATS notice, and reads them from the store. */
  writerPlane?: boolean;
}

const SETUPS: Setup[] = [
  { name: "SQLite + in-process bus", store: "sqlite" },
  { name: "Postgres + in-process bus", store: "postgres" },
  { name: "Postgres + NATS, writes through a second control plane", store: "postgres", natsUrl: SHARED_NATS_URL, writerPlane: true },
];

describe.each(SETUPS)("StreamEvents on $name", (setup) => {
  let cp: TestControlPlane;
  let writerPlane: TestControlPlane | undefined;
  /** Where appends go: the streams' own plane, or the second one. */
  let writer: Clients;
  beforeAll(async () => {
    const options = { env: { PUSHPALS_LOG_LEVEL: "silent" }, overrides: { "server.keepaliveSeconds": 0.2 }, natsUrl: setup.natsUrl };
    cp = await startTestControlPlane({ ...options, store: setup.store });
    if (setup.writerPlane) writerPlane = await startTestControlPlane({ ...options, databaseUrl: cp.config.storage.databaseUrl });
    writer = (writerPlane ?? cp).clients;
  });
  afterAll(async () => {
    await writerPlane?.stop();
    await cp?.stop();
  });

  it("delivers 1,000 concurrently appended events exactly once, in order, across a disconnect and resume", async () => {
    const { session } = await cp.clients.sessions.createSession({ title: "stream" });
    const sessionId = session!.id;
    const total = 1000;
    const received: bigint[] = [];

    // First connection: reads until ~300 events arrived, then disconnects.
    const first = new AbortController();
    const firstReader = (async () => {
      try {
        for await (const res of cp.clients.sessions.streamEvents({ sessionId, afterSeq: 0n }, { signal: first.signal })) {
          if (res.message.case !== "event") continue;
          received.push(res.message.value.seq);
          if (received.length >= 300) first.abort();
        }
      } catch (error) {
        if (!(error instanceof ConnectError && error.code === Code.Canceled)) throw error;
      }
    })();

    // 1,000 events from 20 concurrent writers, 50 each, while the stream is open.
    await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        (async () => {
          for (let i = 0; i < 50; i++) await writer.sessions.appendEvents({ sessionId, events: [assistantEvent(`w${n}-${i}`)] });
        })(),
      ),
    );
    await firstReader;

    // Resume from the last cursor received; read until every event has arrived.
    const resume = new AbortController();
    const cursor = received.at(-1)!;
    try {
      for await (const res of cp.clients.sessions.streamEvents({ sessionId, afterSeq: cursor }, { signal: resume.signal })) {
        if (res.message.case !== "event") continue;
        received.push(res.message.value.seq);
        if (res.message.value.seq === BigInt(total + 1)) resume.abort();
      }
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.Canceled)) throw error;
    }

    // seq 1 is session_created; then 1,000 appended events.
    expect(received).toEqual(Array.from({ length: total + 1 }, (_, i) => BigInt(i + 1)));
  });

  it("sends keep-alives on an idle stream and goes live after the replay", async () => {
    const { session } = await cp.clients.sessions.createSession({ title: "idle" });
    const sessionId = session!.id;
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      try {
        for await (const res of cp.clients.sessions.streamEvents({ sessionId, afterSeq: 0n }, { signal: controller.signal })) {
          seen.push(res.message.case === "event" ? `event:${res.message.value.payload.case}` : "keepalive");
          if (seen.filter((s) => s === "keepalive").length === 1) {
            await writer.sessions.postMessage({ sessionId, text: "hello" });
          }
          if (seen.includes("event:message")) controller.abort();
        }
      } catch (error) {
        if (!(error instanceof ConnectError && error.code === Code.Canceled)) throw error;
      }
    })();
    await reading;
    expect(seen[0]).toBe("event:sessionCreated");
    expect(seen).toContain("keepalive");
    expect(seen.at(-1)).toBe("event:message");
  });

  it("refuses a cursor beyond the log and an unknown session", async () => {
    const { session } = await cp.clients.sessions.createSession({ title: "cursor" });
    await expect(drain(cp.clients, session!.id, 99n)).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(drain(cp.clients, "ses_01JD0000000000000000000000", 0n)).rejects.toMatchObject({ code: Code.NotFound });
  });
});

function assistantEvent(text: string): Event {
  return create(EventSchema, { payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text, source: MessageSource.CHAT }) } });
}

async function drain(clients: Clients, sessionId: string, afterSeq: bigint): Promise<void> {
  for await (const _ of clients.sessions.streamEvents({ sessionId, afterSeq })) break;
}
