import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobWaiting } from "../../gen/pushpals/v1/common_pb.js";
import type { WaitingFor } from "../../services/runner/agent/agent-types.js";
import { heartbeatLoop, heartbeatNudges, register, type HeartbeatOptions } from "../../services/runner/heartbeat.js";
import { silentLogger } from "../../shared/log.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/**
 * The runner's heartbeat carries what each of its jobs waits on, and a job that begins or stops
 * waiting nudges it: the control plane hears at once, not at the next interval (a minute here).
 */
describe("the runner's heartbeat says what its jobs wait on", () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane();
  }, 30_000);
  afterAll(() => cp?.stop());

  it("reports waiting for an answer as soon as it is nudged, and working again after the next nudge", async () => {
    const jobId = "job_01M8ZB25S8PD3APMY265AZ3RSE";
    let waiting: WaitingFor | undefined;
    const nudges = heartbeatNudges();
    const stop = new AbortController();
    const options: HeartbeatOptions = {
      execution: cp.clients.execution,
      worker: { workerId: "beating-runner", driver: "process", concurrency: 1 },
      activeJobIds: () => [jobId],
      waitingOf: () => waiting,
      nudges,
      onCancelRequested: () => {},
      intervalMs: 60_000,
      signal: stop.signal,
      logger: silentLogger,
    };
    const waitingSeen = async () => (await cp.clients.execution.listWorkers({})).workers.find((w) => w.id === "beating-runner")?.activeJobs[0]?.waiting;
    expect(await register(options)).toBe(true);
    expect(await waitingSeen()).toBe(JobWaiting.UNSPECIFIED);
    const beating = heartbeatLoop(options);
    try {
      waiting = "answer";
      nudges.nudge();
      await expect.poll(waitingSeen, { timeout: 3000, interval: 50 }).toBe(JobWaiting.ANSWER);
      waiting = "paused";
      nudges.nudge();
      await expect.poll(waitingSeen, { timeout: 3000, interval: 50 }).toBe(JobWaiting.PAUSED);
      waiting = undefined;
      nudges.nudge();
      await expect.poll(waitingSeen, { timeout: 3000, interval: 50 }).toBe(JobWaiting.UNSPECIFIED);
    } finally {
      stop.abort();
      await beating;
    }
  });
});
