import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { LogStream, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { JobLogSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { WorkerStatus } from "../../../gen/pushpals/v1/execution_pb.js";
import { isId } from "../../../shared/ids.js";
import type { HeartbeatInput } from "../../../services/control-plane/store/store.js";
import { toTimestamp } from "../../../shared/time.js";
import { casesOf, claimOne, enqueueOn, expectCode, newSession } from "../fixtures.js";
import { testClock, type Harness } from "../harness.js";

const beat = (workerId: string, overrides: Partial<HeartbeatInput> = {}): HeartbeatInput => ({
  workerId,
  name: "laptop runner",
  host: "laptop",
  drivers: ["process", "bwrap"],
  concurrency: 2,
  activeJobIds: [],
  version: "0.1.0",
  ...overrides,
});

const line = (text: string, stream = LogStream.STDOUT) => create(JobLogSchema, { text, stream });

export function workerLogArtifactCases(h: Harness): void {
  describe("workers", () => {
    test("heartbeat registers, then refreshes keeping first_seen; status follows the silence", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now, workerStaleMs: 30_000 });
      const firstSeen = clock.now();
      const { worker } = await store.heartbeat(beat("w1"));
      expect(worker).toMatchObject({ id: "w1", name: "laptop runner", drivers: ["process", "bwrap"], concurrency: 2, status: WorkerStatus.ONLINE });
      clock.advance(10_000);
      const again = await store.heartbeat(beat("w1", { concurrency: 4, activeJobIds: ["job_a"], version: "0.2.0" }));
      expect(again.worker).toMatchObject({ concurrency: 4, activeJobIds: ["job_a"], version: "0.2.0" });
      expect(timestampMs(again.worker.firstSeenAt!)).toBe(firstSeen);
      expect(timestampMs(again.worker.lastHeartbeatAt!)).toBe(clock.now());
      await store.heartbeat(beat("a-worker"));

      const statusAfter = async (ms: number) => {
        clock.advance(ms);
        return (await store.listWorkers()).find((w) => w.id === "w1")?.status;
      };
      expect((await store.listWorkers()).map((w) => w.id)).toEqual(["a-worker", "w1"]);
      expect(await statusAfter(30_000)).toBe(WorkerStatus.ONLINE);
      expect(await statusAfter(1)).toBe(WorkerStatus.STALE);
      expect(await statusAfter(119_999)).toBe(WorkerStatus.STALE); // 5 × the stale limit
      expect(await statusAfter(1)).toBe(WorkerStatus.OFFLINE);
      await expectCode(store.heartbeat(beat("Bad Id")), Code.InvalidArgument, /^worker_id: /);
    });
  });

  describe("job logs", () => {
    test("each line becomes a job_log event, numbered on from the job's last line", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const jobId = await enqueueOn(store, sessionId, QueueName.JOBS);
      const { leaseToken } = await claimOne(store, QueueName.JOBS);
      const written = toTimestamp(clock.now() - 500);
      const first = await store.appendJobLogs({ jobId, leaseToken, lines: [line("a"), create(JobLogSchema, { text: "b", stream: LogStream.STDERR, time: written })] });
      expect(first.value.lastLine).toBe(2n);
      expect(casesOf(first.events)).toEqual(["jobLog", "jobLog"]);
      expect(first.events.every((e) => e.itemId === jobId)).toBe(true);
      expect(first.events.map((e) => e.payload.value)).toMatchObject([
        { line: 1n, text: "a", stream: LogStream.STDOUT },
        { line: 2n, text: "b", stream: LogStream.STDERR },
      ]);
      expect(timestampMs((first.events[0]!.payload.value as { time: Parameters<typeof timestampMs>[0] }).time)).toBe(clock.now());
      expect(timestampMs((first.events[1]!.payload.value as { time: Parameters<typeof timestampMs>[0] }).time)).toBe(clock.now() - 500);

      const second = await store.appendJobLogs({ jobId, leaseToken, lines: [line("c", LogStream.SYSTEM)] });
      expect(second.value.lastLine).toBe(3n);
      expect(second.events[0]!.payload.value).toMatchObject({ line: 3n, text: "c" });
      expect((await store.appendJobLogs({ jobId, leaseToken, lines: [] })).value.lastLine).toBe(3n);
      const logged = await store.listEvents({ sessionId, afterSeq: 0n, limit: 100, itemId: jobId });
      expect(logged.filter((e) => e.payload.case === "jobLog").map((e) => (e.payload.value as { line: bigint }).line)).toEqual([1n, 2n, 3n]);
    });

    test("only the lease holder may write, only to a job", async () => {
      const store = await h.open();
      const sessionId = await newSession(store);
      const jobId = await enqueueOn(store, sessionId, QueueName.JOBS);
      await expectCode(store.appendJobLogs({ jobId, leaseToken: "", lines: [line("x")] }), Code.FailedPrecondition, /lease is lost because it is pending/);
      const { leaseToken } = await claimOne(store, QueueName.JOBS);
      await expectCode(store.appendJobLogs({ jobId, leaseToken: "lse_other", lines: [line("x")] }), Code.FailedPrecondition, /append logs to job_/);
      await expectCode(store.appendJobLogs({ jobId: "job_01HZZZZZZZZZZZZZZZZZZZZZZZ", leaseToken, lines: [line("x")] }), Code.NotFound, /^job job_/);
      const requestId = await enqueueOn(store, sessionId, QueueName.REQUESTS);
      const request = await claimOne(store, QueueName.REQUESTS);
      await expectCode(store.appendJobLogs({ jobId: requestId, leaseToken: request.leaseToken, lines: [line("x")] }), Code.InvalidArgument, /^job_id: /);
      expect((await store.listEvents({ sessionId, afterSeq: 0n, limit: 100 })).some((e) => e.payload.case === "jobLog")).toBe(false);
    });
  });

  describe("artifacts", () => {
    test("put while holding the lease or after the job finished; list without content; get with it", async () => {
      const clock = testClock();
      const store = await h.open({ now: clock.now });
      const sessionId = await newSession(store);
      const jobId = await enqueueOn(store, sessionId, QueueName.JOBS);
      const content = new TextEncoder().encode("diff --git a/x b/x\n");
      await expectCode(store.putArtifact({ jobId, leaseToken: "", name: "diff", mediaType: "text/x-diff", content }), Code.FailedPrecondition, /it is pending/);
      const { leaseToken } = await claimOne(store, QueueName.JOBS);
      await expectCode(store.putArtifact({ jobId, leaseToken: "lse_other", name: "diff", mediaType: "text/x-diff", content }), Code.FailedPrecondition, /lease is lost/);
      await expectCode(store.putArtifact({ jobId, leaseToken, name: " ", mediaType: "text/plain", content }), Code.InvalidArgument, /^name: /);

      const put = await store.putArtifact({ jobId, leaseToken, name: "diff", mediaType: "text/x-diff", content });
      expect(isId("artifact", put.value.id)).toBe(true);
      expect(put.value).toMatchObject({ jobId, name: "diff", mediaType: "text/x-diff", sizeBytes: BigInt(content.byteLength) });
      expect(casesOf(put.events)).toEqual(["artifactAdded"]);
      expect(put.events[0]).toMatchObject({ itemId: jobId });
      expect(put.events[0]!.payload.value).toMatchObject({ artifactId: put.value.id, name: "diff", sizeBytes: BigInt(content.byteLength) });

      await store.complete({ itemId: jobId, leaseToken });
      clock.advance(1000);
      const binary = new Uint8Array([0, 1, 2, 255]);
      const after = await store.putArtifact({ jobId, leaseToken: "", name: "trajectory.bin", mediaType: "", content: binary });
      expect(after.value.mediaType).toBe("application/octet-stream");

      const listed = await store.listArtifacts(jobId);
      expect(listed.map((a) => a.name)).toEqual(["diff", "trajectory.bin"]);
      expect(listed.every((a) => a.content.byteLength === 0)).toBe(true);
      expect((await store.getArtifact(put.value.id))?.content).toEqual(content);
      expect((await store.getArtifact(after.value.id))?.content).toEqual(binary);
      expect(await store.getArtifact("art_01HZZZZZZZZZZZZZZZZZZZZZZZ")).toBeUndefined();
      await expectCode(store.listArtifacts("job_01HZZZZZZZZZZZZZZZZZZZZZZZ"), Code.NotFound);
      await expectCode(store.putArtifact({ jobId: "job_01HZZZZZZZZZZZZZZZZZZZZZZZ", leaseToken: "", name: "x", mediaType: "", content }), Code.NotFound);
    });
  });
}
