import { describe, expect, it } from "vitest";
import type { FrameWriter } from "../../shared/rpc/frame-writer.js";
import { framesBeneathConnect } from "../../shared/rpc/frames-beneath-connect.js";

/*
 * The order promise of writing beneath Connect: the first item and any item without a
 * frame go to Connect, everything between is written in order (what is ready together
 * in one write), a batch is flushed before Connect gets the next message or the error,
 * and a full buffer stops the pulling until it drains.
 */

interface Recorded {
  writer: FrameWriter;
  writes: string[][];
  /** Makes the next write report a full buffer; returns the function that drains it. */
  fillNext(): () => void;
}

function recordingWriter(): Recorded {
  const writes: string[][] = [];
  let full = false;
  let drain: (() => void) | undefined;
  let drained: Promise<void> = Promise.resolve();
  return {
    writes,
    writer: {
      compressed: false,
      write(bytes) {
        writes.push(Buffer.from(bytes).toString().split("|").filter(Boolean));
        const wasFull = full;
        full = false;
        return !wasFull;
      },
      drained: () => drained,
    },
    fillNext() {
      full = true;
      drained = new Promise((resolve) => (drain = resolve));
      return () => drain?.();
    },
  };
}

/** A source the test feeds by hand: push() makes items ready, fail() makes the next pull reject, end() finishes. */
function handFed() {
  const ready: (string | Error | null)[] = [];
  let wake: (() => void) | undefined;
  let pulls = 0;
  const items: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<string>> {
        pulls++;
        while (ready.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = ready.shift()!;
        if (item === null) return { done: true, value: undefined };
        if (item instanceof Error) throw item;
        return { done: false, value: item };
      },
    }),
  };
  const feed = (...next: (string | Error | null)[]) => {
    ready.push(...next);
    wake?.();
  };
  return { items, feed, pulls: () => pulls };
}

const frameOf = (item: string) => (item.startsWith("connect:") ? undefined : new Uint8Array(Buffer.from(`${item}|`)));
/** Past the stream's own scheduled flush: the first immediate queues behind the test's turn, so take two. */
const turn = async () => {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
};

describe("frames beneath Connect", () => {
  it("gives Connect the first item, writes what is ready together as one write, and hands Connect an item without a frame after flushing", async () => {
    const { writer, writes } = recordingWriter();
    const source = handFed();
    const stream = framesBeneathConnect(source.items, { writer, frameOf, messageOf: (item) => `message ${item}` })[Symbol.asyncIterator]();
    source.feed("one");
    expect(await stream.next()).toEqual({ done: false, value: "message one" });
    expect(writes).toEqual([]);
    const next = stream.next();
    source.feed("two", "three", "four");
    await turn();
    source.feed("five");
    await turn();
    expect(writes).toEqual([["two", "three", "four"], ["five"]]);
    source.feed("six", "connect:seven");
    expect(await next).toEqual({ done: false, value: "message connect:seven" });
    expect(writes.at(-1)).toEqual(["six"]);
    const end = stream.next();
    source.feed("eight", null);
    expect(await end).toEqual({ done: true, value: undefined });
    expect(writes.at(-1)).toEqual(["eight"]);
  });

  it("flushes the batch before the source's error reaches Connect", async () => {
    const { writer, writes } = recordingWriter();
    const source = handFed();
    const stream = framesBeneathConnect(source.items, { writer, frameOf, messageOf: (item) => item })[Symbol.asyncIterator]();
    source.feed("first");
    await stream.next();
    const next = stream.next();
    source.feed("a", "b", new Error("the store failed"));
    await expect(next).rejects.toThrow("the store failed");
    expect(writes).toEqual([["a", "b"]]);
  });

  it("stops pulling while the transport's buffer is full, and goes on once it drains", async () => {
    const recorded = recordingWriter();
    const source = handFed();
    const stream = framesBeneathConnect(source.items, { writer: recorded.writer, frameOf, messageOf: (item) => item })[Symbol.asyncIterator]();
    source.feed("first");
    await stream.next();
    void stream.next();
    const drain = recorded.fillNext();
    source.feed("a");
    await turn();
    const pullsWhileFull = source.pulls();
    source.feed("b");
    await turn();
    await turn();
    expect(source.pulls()).toBe(pullsWhileFull);
    expect(recorded.writes).toEqual([["a"]]);
    drain();
    await turn();
    await turn();
    expect(recorded.writes).toEqual([["a"], ["b"]]);
  });
});
