import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../../supervisor/backoff.js";
import { SlidingWindow } from "../../../supervisor/sliding-window.js";

describe("backoffDelay", () => {
  const options = { initialMs: 100, maxMs: 1000, jitter: 0.5 };

  it("doubles per attempt up to maxMs", () => {
    const noJitter = () => 0;
    expect([0, 1, 2, 3, 4, 5, 60].map((attempt) => backoffDelay(attempt, options, noJitter))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it("jitter only shortens the delay, by at most its fraction", () => {
    expect(backoffDelay(2, options, () => 1)).toBe(200);
    expect(backoffDelay(2, options, () => 0.5)).toBe(300);
    expect(backoffDelay(10, options, () => 0.999)).toBeGreaterThanOrEqual(500);
  });
});

describe("SlidingWindow", () => {
  it("counts only what happened within the window", () => {
    const window = new SlidingWindow(1000);
    expect(window.record(0)).toBe(1);
    expect(window.record(400)).toBe(2);
    expect(window.record(1000)).toBe(2); // 0 has left the window (exactly 1000 ms old)
    expect(window.count(1399)).toBe(2);
    expect(window.count(2001)).toBe(0);
  });
});
