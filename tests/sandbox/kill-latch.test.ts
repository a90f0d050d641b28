import { describe, expect, it } from "vitest";
import { killLatch } from "../../sandbox/kill-latch.js";

describe("killLatch", () => {
  it("acts once on a timeout, and again when an abort escalates it; never after an abort", () => {
    const latch = killLatch();
    expect(latch.tripped).toBe(false);
    expect(latch.trip("timeout")).toBe(true);
    expect(latch.trip("timeout")).toBe(false);
    expect(latch.trip("abort")).toBe(true);
    expect(latch.trip("abort")).toBe(false);
    expect(latch.trip("timeout")).toBe(false);
    expect({ timedOut: latch.timedOut, cancelled: latch.cancelled, tripped: latch.tripped }).toEqual({ timedOut: true, cancelled: true, tripped: true });
  });

  it("a timeout after an abort changes nothing and is not recorded", () => {
    const latch = killLatch();
    expect(latch.trip("abort")).toBe(true);
    expect(latch.trip("timeout")).toBe(false);
    expect({ timedOut: latch.timedOut, cancelled: latch.cancelled }).toEqual({ timedOut: false, cancelled: true });
  });
});
