import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { deadline } from "../../shared/deadline.js";
import { collectGarbageOften } from "../support/force-gc.js";

describe("deadline", () => {
  it("fires after its time even when garbage is collected while it waits (AbortSignal.any loses AbortSignal.timeout on Node 20)", async () => {
    const stop = collectGarbageOften();
    try {
      const parent = new AbortController();
      const waiting = deadline(200, parent.signal);
      await once(waiting.signal, "abort");
      expect(waiting.timedOut()).toBe(true);
      expect((waiting.signal.reason as DOMException).name).toBe("TimeoutError");
    } finally {
      stop();
    }
  });

  it("follows a parent's abort with the parent's reason, not as a timeout", async () => {
    const parent = new AbortController();
    const waiting = deadline(60_000, parent.signal);
    parent.abort(new Error("stopping"));
    expect(waiting.signal.aborted).toBe(true);
    expect(waiting.timedOut()).toBe(false);
    expect((waiting.signal.reason as Error).message).toBe("stopping");
  });

  it("starts aborted when a parent already is, and ignores undefined parents", () => {
    const waiting = deadline(60_000, undefined, AbortSignal.abort("gone"));
    expect(waiting.signal.aborted).toBe(true);
    expect(waiting.signal.reason).toBe("gone");
  });

  it("clear() stops the timer and leaves the parent without its listener", async () => {
    const parent = new AbortController();
    const waiting = deadline(50, parent.signal);
    waiting.clear();
    parent.abort();
    // A cleared deadline neither times out nor follows the parent any more.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(waiting.signal.aborted).toBe(false);
  });
});
