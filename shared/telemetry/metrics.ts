import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { QueueDepth } from "../../gen/pushpals/v1/system_pb.js";

/**
 * The process's metrics, served on GET /metrics when [observability] metrics is on. One registry
 * per process: under `pushpals up` every service shares it, in mesh mode each process serves its
 * own. Recording costs a map lookup whether or not anyone scrapes, so call sites never check the switch.
 */
export const metricsRegistry = new Registry();

let processMetricsOn = false;
/** CPU, memory, event-loop lag, handles, GC (prom-client's defaults), started once per process. */
export function collectProcessMetrics(): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: "pushpals_" });
}

type DepthSource = () => Promise<readonly QueueDepth[]>;
const depthSources = new Set<DepthSource>();

/** The control plane lends its store for queue depths while it runs; the returned function takes it back. */
export function reportQueueDepths(source: DepthSource): () => void {
  depthSources.add(source);
  return () => depthSources.delete(source);
}

const queueDepth = new Gauge({
  name: "pushpals_queue_depth",
  help: "Items on each queue by state (pending ones also by priority band), read from the store at scrape time",
  labelNames: ["queue", "state", "priority"] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    for (const source of depthSources) {
      for (const depth of await source()) {
        const queue = queueLabel(depth.queue);
        this.set({ queue, state: "pending", priority: "interactive" }, depth.pendingInteractive);
        this.set({ queue, state: "pending", priority: "normal" }, depth.pendingNormal);
        this.set({ queue, state: "pending", priority: "background" }, depth.pendingBackground);
        this.set({ queue, state: "claimed" }, depth.claimed);
        this.set({ queue, state: "dead_letter" }, depth.deadLetter);
      }
    }
  },
});
void queueDepth;

/** From seconds to an hour: a claim can be instant or wait behind a long job. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export const claimLatency = new Histogram({
  name: "pushpals_claim_latency_seconds",
  help: "Time from an item becoming claimable (enqueued, or its retry backoff over) to its claim",
  labelNames: ["queue"] as const,
  buckets: WAIT_BUCKETS,
  registers: [metricsRegistry],
});

export const itemDuration = new Histogram({
  name: "pushpals_item_duration_seconds",
  help: "Time from claim to the holder's report, by queue (jobs: a job's run) and outcome (completed, failed, retried, dead_letter, cancelled, ...)",
  labelNames: ["queue", "outcome"] as const,
  buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  registers: [metricsRegistry],
});

export const streamSubscribers = new Gauge({
  name: "pushpals_stream_subscribers",
  help: "Server streams open now (StreamEvents, StreamJobLogs, health Watch, ...) by RPC",
  labelNames: ["rpc"] as const,
  registers: [metricsRegistry],
});

export const modelTokens = new Counter({
  name: "pushpals_model_tokens_total",
  help: "Tokens the model endpoints reported, by role (chat, planner, agent) and kind (prompt, completion)",
  labelNames: ["role", "kind"] as const,
  registers: [metricsRegistry],
});

/** requests | jobs | completions, as the queues are named everywhere else. */
export function queueLabel(queue: QueueName): string {
  return (QueueName[queue] ?? String(queue)).toLowerCase();
}
