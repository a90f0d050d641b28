import { create } from "@bufbuild/protobuf";
import { Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { Lane, TaskExecuteV2Schema } from "../../gen/pushpals/v1/task_pb.js";
import type { Clients } from "../../shared/clients.js";
import { durationFromMs } from "../../shared/time.js";
import { Latencies, timed } from "./latency.js";
import { loadResult, type LoadResult } from "./load-result.js";

export interface RpcLoadOptions {
  /** One client set per claimer: claimers are separate workers, each on its own HTTP/2 connection. */
  claimers: Clients[];
  sessionIds: string[];
  jobs: number;
  /**
   * The Claim's long-poll `wait`. Unset: claim only what is there (the store bench's call);
   * set: the path real claimers take (subscribe to the queue's wake-up subject, then claim).
   */
  claimWaitMs?: number;
}

/**
 * The store bench's loop (store-load.ts), over RPC: each claimer does Enqueue → Claim →
 * Complete until `jobs` jobs are done. Each Claim takes the oldest pending job, so a
 * backlog keeps its depth for the whole run. The window is from the first Enqueue to
 * the last Complete; claim latency is one Claim call's round trip as the client sees it.
 */
export async function runRpcQueueLoad(options: RpcLoadOptions): Promise<LoadResult> {
  const { claimers, sessionIds, jobs } = options;
  // The smallest job Enqueue accepts (the store bench's empty payload fails validation).
  const payload = create(ItemPayloadSchema, {
    kind: { case: "taskExecuteV2", value: create(TaskExecuteV2Schema, { lane: Lane.DETERMINISTIC, instruction: "bench" }) },
  });
  const leaseDuration = durationFromMs(60_000);
  const wait = options.claimWaitMs === undefined ? undefined : durationFromMs(options.claimWaitMs);
  const claims = new Latencies();
  const startedAt = performance.now();
  let next = 0;
  // Not inParallel(): each loop must keep its own connection and worker id.
  await Promise.all(
    claimers.map(async ({ queues }, claimer) => {
      const workerId = `bench-${claimer}`;
      while (next < jobs) {
        const index = next++;
        await queues.enqueue({ queue: QueueName.JOBS, sessionId: sessionIds[index % sessionIds.length]!, priority: Priority.NORMAL, payload });
        const claimed = await timed(claims, () => queues.claim({ queue: QueueName.JOBS, workerId, leaseDuration, wait }));
        if (!claimed.item) throw new Error(`claim ${index} found nothing although a job was just enqueued; the control plane lost work`);
        await queues.complete({ itemId: claimed.item.id, leaseToken: claimed.leaseToken });
      }
    }),
  );
  return loadResult(jobs, startedAt, claims);
}
