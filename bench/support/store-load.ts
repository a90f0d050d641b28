import { Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { fromBinary } from "@bufbuild/protobuf";
import type { Store } from "../../services/control-plane/store/store.js";
import { benchPayload } from "./prefill.js";
import { inParallel, Latencies, timed } from "./latency.js";
import { loadResult, type LoadResult } from "./load-result.js";

/**
 * `claimers` loops, each doing enqueue → claim → complete until `jobs` jobs are done.
 * Every claim takes the oldest pending job, so with a backlog the queue keeps its
 * depth for the whole run: the figures are the steady-state cost at that depth.
 */
export async function runStoreLoad(store: Store, sessionIds: string[], jobs: number, claimers: number): Promise<LoadResult> {
  const payload = fromBinary(ItemPayloadSchema, benchPayload());
  const claims = new Latencies();
  const startedAt = performance.now();
  await inParallel(jobs, claimers, async (index) => {
    const workerId = `bench-${index % claimers}`;
    await store.enqueue({ queue: QueueName.JOBS, sessionId: sessionIds[index % sessionIds.length]!, priority: Priority.NORMAL, payload });
    const { value: claimed } = await timed(claims, () => store.claim({ queue: QueueName.JOBS, workerId, leaseMs: 60_000 }));
    if (!claimed) throw new Error(`claim ${index} found nothing although a job was just enqueued; the store lost work`);
    await store.complete({ itemId: claimed.item.id, leaseToken: claimed.leaseToken });
  });
  return loadResult(jobs, startedAt, claims);
}
