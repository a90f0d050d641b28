import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssistantMessageSchema, EventSchema } from "../../gen/pushpals/v1/events_pb.js";
import { createClients } from "../../shared/clients.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";
import { startPushpals, type PushpalsProcess } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";

describe("two control-plane processes on one Postgres and one NATS", () => {
  let db: FreshDatabase;
  let dir: TempDir;
  let a: PushpalsProcess;
  let b: PushpalsProcess;

  beforeAll(async () => {
    db = await freshDatabase("nats");
    dir = await tempDir("pushpals-nats-");
    const env = {
      PUSHPALS_DATABASE_URL: db.url,
      PUSHPALS_NATS_URL: "nats://127.0.0.1:4222",
      PUSHPALS_PORT: "0",
      PUSHPALS_REPO: dir.path,
      PUSHPALS_DATA_DIR: dir.path,
    };
    // Started together: migrations must be safe against a concurrent start.
    [a, b] = await Promise.all([startPushpals(["serve", "sessions"], env), startPushpals(["serve", "sessions"], env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await dir?.remove();
  });

  // A's stream learns of B's writes only through NATS (the follower does not poll the store), so
  // every event arriving, in order, proves the path; how fast is bench/'s business.
  it("a stream opened on A sees every event written through B, in order", async () => {
    const clientsA = createClients(a.url);
    const clientsB = createClients(b.url);
    const { session } = await clientsB.sessions.createSession({ title: "mesh" });
    const sessionId = session!.id;
    const controller = new AbortController();
    const received: string[] = [];
    let opened!: () => void;
    const streamOpen = new Promise<void>((resolve) => (opened = resolve));

    const reading = (async () => {
      try {
        for await (const res of clientsA.sessions.streamEvents({ sessionId, afterSeq: 0n }, { signal: controller.signal })) {
          // The replay comes after the live subscription is in place, so the first event proves it.
          if (res.message.case === "event" && res.message.value.payload.case === "sessionCreated") opened();
          if (res.message.case !== "event" || res.message.value.payload.case !== "assistantMessage") continue;
          received.push(res.message.value.payload.value.text);
          if (received.length === 20) controller.abort();
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    })();
    await streamOpen;
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const text = `from-b-${i}`;
      sent.push(text);
      await clientsB.sessions.appendEvents({
        sessionId,
        events: [create(EventSchema, { payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text, source: MessageSource.CHAT }) } })],
      });
    }
    await reading;
    expect(received).toEqual(sent);
  }, 30_000);
});
