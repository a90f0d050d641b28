import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { followSession } from "../../web/src/state/session-feed.js";
import { emptyTimeline, timelineReducer, type TimelineState } from "../../web/src/state/timeline.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/**
 * The page's feed (connect-web, the browser transport, here on Node's fetch) against a real
 * control plane: a long session opens on its newest events, the older ones fill in behind,
 * live events follow, and a second feed started from the first one's cursor gets only what is new.
 */
describe("the web UI's session feed", () => {
  let plane: TestControlPlane;
  const sessions = () => createClient(SessionService, createConnectTransport({ baseUrl: plane.url, useBinaryFormat: true }));

  beforeAll(async () => {
    plane = await startTestControlPlane();
  });
  afterAll(() => plane.stop());

  async function append(sessionId: string, from: number, count: number): Promise<void> {
    for (let i = 0; i < count; i += 100) {
      const events = Array.from({ length: Math.min(100, count - i) }, (_, j) =>
        create(EventSchema, { payload: { case: "assistantMessage", value: { text: `n${from + i + j}` } } }),
      );
      await plane.clients.sessions.appendEvents({ sessionId, events });
    }
  }

  function follow(sessionId: string, start: TimelineState) {
    let state = start;
    const batches: Event[][] = [];
    const controller = new AbortController();
    let connected = 0;
    const done = followSession({
      sessions: sessions(),
      sessionId,
      cursor: () => state.cursor,
      onEvents: (events) => {
        batches.push(events);
        state = timelineReducer(state, { type: "received", events });
      },
      onConnected: () => connected++,
      onDisconnected: () => undefined,
      signal: controller.signal,
      tailSize: 50,
      pageSize: 200,
    });
    return { state: () => state, batches, connected: () => connected, stop: () => (controller.abort(), done) };
  }

  const texts = (state: TimelineState) => state.events.map((e) => (e.payload.case === "assistantMessage" ? e.payload.value.text : e.payload.case));

  it("opens on the newest events, fills in the older ones, then streams new ones, each seq once", async () => {
    const sessionId = (await plane.clients.sessions.createSession({ title: "feed" })).session!.id;
    await append(sessionId, 0, 1000);
    const feed = follow(sessionId, emptyTimeline(sessionId));
    await expect.poll(() => feed.state().events.length, { timeout: 15_000 }).toBe(1001);
    // The first thing delivered is the tail a person looks at: the newest 50.
    expect(feed.batches[0]!.map((e) => Number(e.seq))).toEqual(Array.from({ length: 50 }, (_, i) => 952 + i));
    expect(feed.connected()).toBe(1);

    await append(sessionId, 1000, 3);
    await expect.poll(() => feed.state().events.length, { timeout: 10_000 }).toBe(1004);
    const seqs = feed.state().events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(texts(feed.state()).slice(0, 2)).toEqual(["sessionCreated", "n0"]);
    expect(texts(feed.state()).slice(-3)).toEqual(["n1000", "n1001", "n1002"]);
    await feed.stop();

    // Resuming from the cursor: only events after it arrive, none of the held ones again.
    await append(sessionId, 1003, 2);
    const resumed = follow(sessionId, feed.state());
    await expect.poll(() => resumed.state().events.length, { timeout: 10_000 }).toBe(1006);
    expect(resumed.batches.flat().map((e) => Number(e.seq))).toEqual([1005, 1006]);
    await resumed.stop();
  }, 60_000);
});
