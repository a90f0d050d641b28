import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Bus, BusMessage } from "../../services/control-plane/bus/bus.js";
import { busesUnderTest, bytes, endsWithin, take, text, uniqueRoot } from "./support/buses.js";

describe.each(busesUnderTest)("$kind bus", (busUnderTest) => {
  let publisher: Bus;
  let subscriber: Bus;
  let closePair: () => Promise<void>;
  let root: string;

  beforeEach(async () => {
    ({ publisher, subscriber, close: closePair } = await busUnderTest.pair());
    root = uniqueRoot();
  });
  afterEach(async () => {
    await closePair();
  });

  it("reports its kind", () => {
    expect(publisher.kind).toBe(busUnderTest.kind);
  });

  it("matches '*' to one token and '>' to one or more, literals exactly", async () => {
    const literal = subscriber.subscribe(`${root}.a.events`);
    const oneToken = subscriber.subscribe(`${root}.*.events`);
    const rest = subscriber.subscribe(`${root}.>`);
    await Promise.all([literal.ready, oneToken.ready, rest.ready]);

    publisher.publish(`${root}.a.events`, bytes("1"));
    publisher.publish(`${root}.b.events`, bytes("2"));
    publisher.publish(`${root}.b.c.events`, bytes("3"));
    publisher.publish(root, bytes("4"));
    publisher.publish(`${root}.a.events.x`, bytes("5"));
    publisher.publish(`${root}.a.events`, bytes("end"));

    expect((await take(literal, 2)).map(text)).toEqual(["1", "end"]);
    expect((await take(oneToken, 3)).map(text)).toEqual(["1", "2", "end"]);
    const fromRest = await take(rest, 5);
    expect(fromRest.map(text)).toEqual(["1", "2", "3", "5", "end"]);
    expect(fromRest.map((m) => m.subject)).toEqual([`${root}.a.events`, `${root}.b.events`, `${root}.b.c.events`, `${root}.a.events.x`, `${root}.a.events`]);
  });

  it("delivers one publisher's messages in the order they were published", async () => {
    const subject = `${root}.ordered`;
    const sub = subscriber.subscribe(subject);
    await sub.ready;
    const count = 2_000;
    for (let i = 0; i < count; i++) publisher.publish(subject, bytes(String(i)));
    const received = await take(sub, count, 10_000);
    expect(received.map(text)).toEqual(Array.from({ length: count }, (_, i) => String(i)));
    expect(sub.dropped).toBe(0);
  });

  it("receives a message published right after `await ready`, even from a busy connection", async () => {
    // Ballast queued on the subscriber's connection just before subscribing holds its
    // SUB back on the wire: a `ready` that resolved before the server had the
    // subscription would let the other connection's first message get there first.
    const ballast = new Uint8Array(512 * 1024);
    for (let round = 0; round < 10; round++) {
      const subject = `${root}.ready.${round}`;
      subscriber.publish(`${root}.ballast`, ballast);
      const sub = subscriber.subscribe(subject);
      await sub.ready;
      publisher.publish(subject, bytes(`first-${round}`));
      expect((await take(sub, 1, 2_000)).map(text)).toEqual([`first-${round}`]);
      sub.close();
    }
  });

  it("drops the oldest messages past maxBuffered and counts them", async () => {
    const subject = `${root}.slow`;
    const sub = subscriber.subscribe(subject, { maxBuffered: 3 });
    await sub.ready;
    for (let i = 0; i < 10; i++) publisher.publish(subject, bytes(String(i)));
    await vi.waitFor(() => expect(sub.dropped).toBe(7), { timeout: 5_000 });
    expect((await take(sub, 3)).map(text)).toEqual(["7", "8", "9"]);
    publisher.publish(subject, bytes("10"));
    expect((await take(sub, 1)).map(text)).toEqual(["10"]);
    expect(sub.dropped).toBe(7);
  });

  it("buffers 10,000 messages by default before dropping", async () => {
    const subject = `${root}.default-buffer`;
    const sub = subscriber.subscribe(subject);
    await sub.ready;
    for (let i = 0; i < 10_050; i++) publisher.publish(subject, bytes(String(i)));
    await vi.waitFor(() => expect(sub.dropped).toBe(50), { timeout: 10_000 });
    expect((await take(sub, 1)).map(text)).toEqual(["50"]);
  });

  it("rejects a maxBuffered below 1, naming the option", () => {
    const attempt = () => subscriber.subscribe(`${root}.x`, { maxBuffered: 0 });
    expect(attempt).toThrow(ConnectError);
    expect(attempt).toThrow(/maxBuffered/);
  });

  it("ends a waiting reader's iteration on close()", async () => {
    const sub = subscriber.subscribe(`${root}.closing`);
    await sub.ready;
    const pending = sub[Symbol.asyncIterator]().next();
    sub.close();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
  });

  it("ends the iteration when the signal aborts, and at once when it already has", async () => {
    const controller = new AbortController();
    const sub = subscriber.subscribe(`${root}.aborting`, { signal: controller.signal });
    await sub.ready;
    const pending = sub[Symbol.asyncIterator]().next();
    controller.abort();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });

    const already = subscriber.subscribe(`${root}.aborting`, { signal: AbortSignal.abort() });
    await already.ready;
    expect(await endsWithin(already, 1_000)).toBe(true);
  });

  it("unsubscribes when the reader leaves its for-await loop", async () => {
    const subject = `${root}.leaving`;
    const leaver = subscriber.subscribe(subject, { maxBuffered: 1 });
    const witness = subscriber.subscribe(subject);
    await Promise.all([leaver.ready, witness.ready]);
    publisher.publish(subject, bytes("0"));
    for await (const message of leaver) {
      expect(text(message)).toBe("0");
      break;
    }
    for (let i = 1; i <= 5; i++) publisher.publish(subject, bytes(String(i)));
    await take(witness, 6);
    // Still subscribed, maxBuffered 1 would have dropped four of the five.
    expect(leaver.dropped).toBe(0);
    expect(await endsWithin(leaver, 1_000)).toBe(true);
  });

  it("close() of the bus drains: buffered messages are still read, then the iteration ends", async () => {
    const subject = `${root}.draining`;
    const sub = subscriber.subscribe(subject);
    const witness = subscriber.subscribe(subject);
    await Promise.all([sub.ready, witness.ready]);
    for (let i = 0; i < 3; i++) publisher.publish(subject, bytes(String(i)));
    await take(witness, 3);
    await subscriber.close();
    const rest: BusMessage[] = [];
    for await (const message of sub) rest.push(message);
    expect(rest.map(text)).toEqual(["0", "1", "2"]);
  });

  it("after close(), subscribing ends at once and publishing drops quietly", async () => {
    await subscriber.close();
    const late = subscriber.subscribe(`${root}.late`);
    await late.ready;
    expect(await endsWithin(late, 1_000)).toBe(true);
    expect(() => subscriber.publish(`${root}.late`, bytes("x"))).not.toThrow();
  });

  it("rejects malformed subscription subjects with InvalidArgument naming the subject", () => {
    for (const bad of ["", `${root}..a`, `${root}.a.`, `${root}.>.a`, `${root}.a b`, `${root}.a*`]) {
      let caught: unknown;
      try {
        subscriber.subscribe(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(bad)).toBeInstanceOf(ConnectError);
      expect((caught as ConnectError).code).toBe(Code.InvalidArgument);
      expect((caught as ConnectError).rawMessage).toMatch(/^subject: /);
    }
  });

  it("drops, without throwing, a publish on a wildcard or malformed subject", async () => {
    const sub = subscriber.subscribe(`${root}.*`);
    await sub.ready;
    expect(() => publisher.publish(`${root}.*`, bytes("wildcard"))).not.toThrow();
    expect(() => publisher.publish(`${root}..x`, bytes("empty token"))).not.toThrow();
    expect(() => publisher.publish("", bytes("empty"))).not.toThrow();
    publisher.publish(`${root}.ok`, bytes("ok"));
    expect((await take(sub, 1)).map(text)).toEqual(["ok"]);
  });

  it("does not let a publisher change what a reader already has", async () => {
    const subject = `${root}.copy`;
    const sub = subscriber.subscribe(subject);
    await sub.ready;
    const data = bytes("abc");
    publisher.publish(subject, data);
    data.fill(0);
    expect((await take(sub, 1)).map(text)).toEqual(["abc"]);
  });
});
