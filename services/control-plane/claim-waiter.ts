import type { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { Bus } from "./bus/bus.js";
import { subjects } from "./bus/subjects.js";
import { wakeups } from "./bus/wakeups.js";
import { deadline } from "../../shared/deadline.js";
import type { Claimed, Store } from "./store/store.js";
import type { Commit } from "./commit.js";

export interface ClaimWait {
  queue: QueueName;
  workerId: string;
  leaseMs: number;
  waitMs: number;
  pollMs: number;
  signal: AbortSignal;
}

/**
 * Long-poll claim: try at once, then again whenever the queue's enqueued subject
 * fires (or the slow safety-net poll ticks), until something is claimed or the wait
 * ends. Claimers over RPC thus wake on enqueue without polling the database.
 */
export async function claimWithin(store: Store, bus: Bus, commit: Commit, wait: ClaimWait): Promise<Claimed | undefined> {
  const claim = () => commit(store.claim({ queue: wait.queue, workerId: wait.workerId, leaseMs: wait.leaseMs }));
  if (wait.waitMs <= 0) return claim();
  const waiting = deadline(wait.waitMs, wait.signal);
  try {
    for await (const _ of wakeups(bus, subjects.queueEnqueued(wait.queue), { pollMs: wait.pollMs, signal: waiting.signal })) {
      const claimed = await claim();
      if (claimed) return claimed;
    }
    return undefined;
  } finally {
    waiting.clear();
  }
}
