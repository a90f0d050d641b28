import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { serverClaimWaitMs } from "../../shared/claim-wait.js";
import { durationFromMs } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { collectGarbageOften } from "../support/force-gc.js";

describe("a long-poll Claim on an idle queue", () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    // The safety-net poll far beyond the wait: only the wait's own deadline can end the call.
    cp = await startTestControlPlane({ overrides: { "queues.pollSeconds": 120, "queues.claimWaitSeconds": 2 } });
  });
  afterAll(() => cp?.stop());

  it("ends empty when its wait is over, even when garbage is collected while it waits (it hung until the client's deadline)", async () => {
    const stop = collectGarbageOften();
    try {
      const started = Date.now();
      const response = await cp.clients.queues.claim({ queue: QueueName.COMPLETIONS, workerId: "idle-claimer", wait: durationFromMs(500) });
      expect(response.item).toBeUndefined();
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    } finally {
      stop();
    }
  }, 20_000);

  it("asked to wait longer than queues.claim_wait_seconds, answers empty at the configured wait", async () => {
    const response = await cp.clients.queues.claim(
      { queue: QueueName.COMPLETIONS, workerId: "greedy-claimer", wait: durationFromMs(60_000) },
      // Past the configured 2 s, short of the asked 60 s: only the server's cap ends the call in time.
      { timeoutMs: 15_000 },
    );
    expect(response.item).toBeUndefined();
  }, 20_000);

  it("answers empty before the caller's deadline when the deadline comes before the wait ends (it ended deadline_exceeded)", async () => {
    const response = await cp.clients.queues.claim({ queue: QueueName.COMPLETIONS, workerId: "hasty-claimer", wait: durationFromMs(2_000) }, { timeoutMs: 1_200 });
    expect(response.item).toBeUndefined();
  }, 20_000);
});

describe("serverClaimWaitMs", () => {
  it("is the asked wait, capped by the configured wait and ending before the caller's deadline", () => {
    expect(serverClaimWaitMs(5_000, 30_000, undefined)).toBe(5_000);
    expect(serverClaimWaitMs(60_000, 30_000, undefined)).toBe(30_000);
    expect(serverClaimWaitMs(30_000, 30_000, 40_000)).toBe(30_000);
    expect(serverClaimWaitMs(30_000, 30_000, 20_000)).toBe(19_000);
    expect(serverClaimWaitMs(30_000, 30_000, 500)).toBe(450);
    expect(serverClaimWaitMs(30_000, 30_000, 0)).toBe(0);
  });
});
