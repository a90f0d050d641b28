import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { emptyTimeline, timelineReducer, type TimelineAction, type TimelineState } from "../../web/src/state/timeline.js";

const SESSION = "ses_a";

function message(seq: number, text = `m${seq}`, sessionId = SESSION): Event {
  return create(EventSchema, { sessionId, seq: BigInt(seq), payload: { case: "message", value: { text, author: "t" } } });
}

function run(actions: TimelineAction[], start: TimelineState = emptyTimeline(SESSION)): TimelineState {
  return actions.reduce(timelineReducer, start);
}

const seqs = (state: TimelineState) => state.events.map((e) => Number(e.seq));

describe("the timeline reducer", () => {
  it("appends events in seq order and moves the cursor to the highest seq", () => {
    const state = run([
      { type: "received", events: [message(1), message(2)] },
      { type: "received", events: [message(3)] },
    ]);
    expect(seqs(state)).toEqual([1, 2, 3]);
    expect(state.cursor).toBe(3n);
  });

  it("puts late or out-of-order events in their place", () => {
    const state = run([
      { type: "received", events: [message(5), message(6)] },
      { type: "received", events: [message(2), message(4), message(3)] },
      { type: "received", events: [message(1)] },
    ]);
    expect(seqs(state)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(state.cursor).toBe(6n);
  });

  it("drops an event it already holds (same seq), within one batch and across batches, keeping the first copy", () => {
    const state = run([
      { type: "received", events: [message(1, "first"), message(2)] },
      { type: "received", events: [message(2, "again"), message(1, "again"), message(3)] },
      { type: "received", events: [message(3, "again"), message(3, "again")] },
    ]);
    expect(seqs(state)).toEqual([1, 2, 3]);
    expect(state.events.map((e) => (e.payload.case === "message" ? e.payload.value.text : ""))).toEqual(["first", "m2", "m3"]);
  });

  it("returns the same state for a batch of nothing new (no re-render)", () => {
    const before = run([{ type: "received", events: [message(1), message(2)] }]);
    expect(timelineReducer(before, { type: "received", events: [message(2), message(1)] })).toBe(before);
    expect(timelineReducer(before, { type: "received", events: [] })).toBe(before);
  });

  it("ignores events of another session (a stale feed after switching sessions)", () => {
    const state = run([{ type: "received", events: [message(1), message(2, "other", "ses_b")] }]);
    expect(seqs(state)).toEqual([1]);
  });

  it("a reconnect resumes from the cursor: the replayed overlap is dropped, the new tail appended, the resume counted", () => {
    let state = run([{ type: "received", events: [message(1), message(2), message(3)] }, { type: "connected" }]);
    expect(state.connection).toBe("live");
    state = timelineReducer(state, { type: "disconnected", error: "the event stream ended" });
    expect(state).toMatchObject({ connection: "reconnecting", reconnects: 1, lastError: "the event stream ended" });
    // A second failed try while still reconnecting is the same outage, not another resume.
    state = timelineReducer(state, { type: "disconnected", error: "connection refused" });
    expect(state.reconnects).toBe(1);
    expect(state.cursor).toBe(3n);
    // The catch-up page after the cursor overlaps what the stream sends next.
    state = run([{ type: "received", events: [message(3), message(4)] }, { type: "connected" }, { type: "received", events: [message(4), message(5)] }], state);
    expect(seqs(state)).toEqual([1, 2, 3, 4, 5]);
    expect(state).toMatchObject({ connection: "live", reconnects: 1, lastError: "" });
  });

  it("reset empties it for another session", () => {
    const state = run([
      { type: "received", events: [message(1)] },
      { type: "reset", sessionId: "ses_b" },
    ]);
    expect(state).toEqual(emptyTimeline("ses_b"));
  });

  it("takes 10,000 events in pages of 1,000 in order, and a shuffled replay of them changes nothing", () => {
    const all = Array.from({ length: 10_000 }, (_, i) => message(i + 1));
    let state = emptyTimeline(SESSION);
    for (let i = 0; i < all.length; i += 1000) state = timelineReducer(state, { type: "received", events: all.slice(i, i + 1000) });
    expect(state.events).toHaveLength(10_000);
    const shuffled = [...all].sort(() => Math.random() - 0.5).slice(0, 3000);
    expect(timelineReducer(state, { type: "received", events: shuffled })).toBe(state);
  });
});
