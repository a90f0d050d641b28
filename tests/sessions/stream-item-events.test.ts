import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssistantMessageSchema, EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";
import type { Clients } from "../../shared/clients.js";
import { SHARED_NATS_URL } from "../bus/support/buses.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/*
 * StreamEvents with an item id (issue 17): the replay reads the item's events through
 * the store's item index, not the whole session, and then the cursor jumps past the
 * other items' events. Checked here where that could break the stream: events of the
 * item interleaved with others, written concurrently while the stream replays and goes
 * live, every one of the item's delivered once and in order, none of another item's;
 * and a resume from a cursor in the middle.
 */

const SETUPS = [
  { name: "SQLite + in-process bus", store: "sqlite" as const },
  { name: "Postgres + NATS, writes through a second control plane", store: "postgres" as const, natsUrl: SHARED_NATS_URL, writerPlane: true },
];

const JOB = "job_01JD0000000000000000000001";
const OTHER = "job_01JD0000000000000000000002";

describe.each(SETUPS)("StreamEvents(item) on $name", (setup) => {
  let cp: TestControlPlane;
  let writerPlane: TestControlPlane | undefined;
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

  it("replays and follows one item's events exactly once, in order, among another item's, across a resume", async () => {
    const { session } = await cp.clients.sessions.createSession({ title: "item stream" });
    const sessionId = session!.id;
    // A history before the stream opens: 600 events, every third about the job (more than one replay page of 500).
    for (let start = 0; start < 600; start += 100) {
      await writer.sessions.appendEvents({ sessionId, events: Array.from({ length: 100 }, (_, i) => about((start + i) % 3 === 0 ? JOB : OTHER, `old-${start + i}`)) });
    }
    const texts: string[] = [];
    const seqs: bigint[] = [];
    const expectedTexts = [...Array.from({ length: 200 }, (_, i) => `old-${i * 3}`)];

    const first = new AbortController();
    const reading = (async () => {
      try {
        for await (const res of cp.clients.sessions.streamEvents({ sessionId, afterSeq: 0n, itemId: JOB }, { signal: first.signal })) {
          if (res.message.case !== "event") continue;
          expect(res.message.value.itemId).toBe(JOB);
          texts.push(textOf(res.message.value));
          seqs.push(res.message.value.seq);
          if (texts.length === 250) first.abort();
        }
      } catch (error) {
        if (!(error instanceof ConnectError && error.code === Code.Canceled)) throw error;
      }
    })();
    // Live: 4 concurrent writers, each alternating the job and the other item.
    await Promise.all(
      Array.from({ length: 4 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 25; i++) await writer.sessions.appendEvents({ sessionId, events: [about(OTHER, `x-${w}-${i}`), about(JOB, `live-${w}-${i}`)] });
        })(),
      ),
    );
    await reading;

    const resume = new AbortController();
    try {
      for await (const res of cp.clients.sessions.streamEvents({ sessionId, afterSeq: seqs.at(-1)!, itemId: JOB }, { signal: resume.signal })) {
        if (res.message.case !== "event") continue;
        expect(res.message.value.itemId).toBe(JOB);
        texts.push(textOf(res.message.value));
        seqs.push(res.message.value.seq);
        if (texts.length === 300) resume.abort();
      }
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.Canceled)) throw error;
    }

    expect(texts.slice(0, 200)).toEqual(expectedTexts);
    const live = texts.slice(200);
    expect(new Set(live).size).toBe(100);
    for (let w = 0; w < 4; w++) {
      const mine = live.filter((t) => t.startsWith(`live-${w}-`));
      expect(mine).toEqual(Array.from({ length: 25 }, (_, i) => `live-${w}-${i}`));
    }
    expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(seqs).size).toBe(300);

    // ListEvents with the item: the same events, paged through the index.
    const listed = await cp.clients.sessions.listEvents({ sessionId, itemId: JOB, pageSize: 1000 });
    expect(listed.events.map((e) => e.seq)).toEqual(seqs);
  });
});

function about(itemId: string, text: string): Event {
  return create(EventSchema, { itemId, payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text, source: MessageSource.CHAT }) } });
}

function textOf(event: Event): string {
  return event.payload.case === "assistantMessage" ? event.payload.value.text : `(${event.payload.case})`;
}
