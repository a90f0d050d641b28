import { create } from "@bufbuild/protobuf";
import { join } from "node:path";
import { Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema, type CompletionPayload } from "../../gen/pushpals/v1/items_pb.js";
import { runIntegrationWorker } from "../../services/integration/worker/run-worker.js";
import { createClients, type Clients } from "../../shared/clients.js";
import { loadConfig } from "../../shared/config/load.js";
import { createLogger } from "../../shared/log.js";
import { fromTimestamp } from "../../shared/time.js";
import { serveControlPlane } from "../../services/control-plane/serve-control-plane.js";

/** When each completion passed each point, by the control plane's clock (event times). */
interface Timeline {
  enqueued?: number;
  claimed?: number;
  pushed?: number;
  finished?: number;
  outcome?: string;
}

export interface QueueRun {
  label: string;
  count: number;
  wallMs: number;
  /** Completion enqueued → integration branch pushed. */
  latencies: number[];
  /** Enqueued → claimed (queue wait, including the long-poll wake-up). */
  waits: number[];
  /** Claimed → pushed (the integration itself). */
  integrations: number[];
  /** Pushed → completed (recording the outcome). */
  reports: number[];
}

export interface QueueBenchOptions {
  repo: string;
  /** The integration data dir (worktree); may be the one the direct run used. */
  dataDir: string;
  /** Control plane's own data dir (SQLite). */
  controlPlaneDir: string;
  checkDriver: string;
  warmUp: CompletionPayload;
  oneAtATime: CompletionPayload[];
  backlog: CompletionPayload[];
  progress: (message: string) => void;
}

/**
 * The integration service as it runs in `pushpals up`: a control plane (SQLite,
 * in-process bus) and the worker loop claiming from the completions queue. Two runs:
 * completions sent one at a time (each after the previous one completed: latency
 * without queueing), then a backlog enqueued at once (throughput; latency includes
 * the wait behind the others). Times come from the session's events.
 */
export async function benchThroughQueue(options: QueueBenchOptions): Promise<QueueRun[]> {
  const config = loadConfig({
    env: {},
    overrides: {
      "server.port": 0,
      "repo.path": options.repo,
      "storage.dataDir": options.controlPlaneDir,
      "integration.checkDriver": options.checkDriver,
      "integration.strategy": "cherry-pick",
      "integration.checks": [{ name: "trivial", command: "true", timeoutSeconds: 60 }],
    },
  });
  const logger = createLogger("bench-integration");
  const stop = new AbortController();
  let listening!: (url: string) => void;
  const urlReady = new Promise<string>((resolve) => (listening = resolve));
  const controlPlane = serveControlPlane(config, stop.signal, { logger, onListening: listening });
  const url = await Promise.race([urlReady, controlPlane.then(() => Promise.reject(new Error("control plane stopped before listening")))]);
  const clients = createClients(url);
  const workerStop = new AbortController();
  const worker = runIntegrationWorker(
    { config: { ...config, storage: { ...config.storage, dataDir: options.dataDir } }, logger, controlPlaneUrl: url, clients },
    workerStop.signal,
  );
  const watcherStop = new AbortController();
  try {
    const { session } = await clients.sessions.createSession({ title: "bench: integration through the queue" });
    const sessionId = session?.id ?? "";
    const watcher = watchTimelines(clients, sessionId, watcherStop.signal);
    const enqueue = async (completion: CompletionPayload) => {
      const { item } = await clients.queues.enqueue({
        queue: QueueName.COMPLETIONS,
        sessionId,
        priority: Priority.NORMAL,
        payload: create(ItemPayloadSchema, { kind: { case: "completion", value: completion } }),
      });
      if (!item) throw new Error("enqueue returned no item");
      return item.id;
    };

    const warmStarted = performance.now();
    await watcher.finished(await enqueue(options.warmUp));
    options.progress(`queue warm-up merge (worker opens its worktree, first claim) took ${(performance.now() - warmStarted).toFixed(0)} ms; not counted`);

    const oneAtATime: string[] = [];
    const oneStarted = performance.now();
    for (const [i, completion] of options.oneAtATime.entries()) {
      const id = await enqueue(completion);
      oneAtATime.push(id);
      await watcher.finished(id);
      if ((i + 1) % 10 === 0) options.progress(`one at a time: ${i + 1}/${options.oneAtATime.length} merged`);
    }
    const oneWallMs = performance.now() - oneStarted;

    const backlogStarted = performance.now();
    const backlog: string[] = [];
    for (const completion of options.backlog) backlog.push(await enqueue(completion));
    options.progress(`backlog: ${backlog.length} completions enqueued in ${(performance.now() - backlogStarted).toFixed(0)} ms; draining`);
    for (const id of backlog) await watcher.finished(id);
    const backlogWallMs = performance.now() - backlogStarted;

    return [summarize("one at a time", oneAtATime, oneWallMs, watcher.timelines), summarize(`backlog of ${backlog.length}`, backlog, backlogWallMs, watcher.timelines)];
  } finally {
    watcherStop.abort();
    workerStop.abort();
    await worker;
    stop.abort();
    await controlPlane;
  }
}

function summarize(label: string, ids: string[], wallMs: number, timelines: Map<string, Timeline>): QueueRun {
  const run: QueueRun = { label, count: ids.length, wallMs, latencies: [], waits: [], integrations: [], reports: [] };
  for (const id of ids) {
    const t = timelines.get(id);
    if (t?.outcome !== "completionCompleted" || t.enqueued === undefined || t.claimed === undefined || t.pushed === undefined || t.finished === undefined) {
      throw new Error(`completion ${id} did not go enqueued → claimed → pushed → completed: ${JSON.stringify(t)}`);
    }
    run.latencies.push(t.pushed - t.enqueued);
    run.waits.push(t.claimed - t.enqueued);
    run.integrations.push(t.pushed - t.claimed);
    run.reports.push(t.finished - t.pushed);
  }
  return run;
}

const FINISHED = new Set(["completionCompleted", "completionFailed", "completionConflicted", "completionDeadLettered", "completionCancelled", "completionRequeued"]);

/** Follows the session live and keeps each completion's timeline; `finished(id)` waits for its end. */
function watchTimelines(clients: Clients, sessionId: string, signal: AbortSignal) {
  const timelines = new Map<string, Timeline>();
  const waiters = new Map<string, () => void>();
  const at = (event: Event) => fromTimestamp(event.time) ?? Date.now();
  const follow = (async () => {
    try {
      for await (const message of clients.sessions.streamEvents({ sessionId, afterSeq: 0n }, { signal })) {
        if (message.message.case !== "event") continue;
        const event = message.message.value;
        const t = timelines.get(event.itemId) ?? {};
        timelines.set(event.itemId, t);
        const payload = event.payload;
        const kind = payload.case ?? "";
        if (kind === "completionEnqueued") t.enqueued = at(event);
        else if (kind === "completionClaimed") t.claimed ??= at(event);
        else if (payload.case === "integrationStep" && payload.value.stage === "push" && payload.value.detail.startsWith("pushed ")) t.pushed = at(event);
        else if (FINISHED.has(kind)) {
          t.finished = at(event);
          t.outcome = kind;
          waiters.get(event.itemId)?.();
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  })();
  return {
    timelines,
    finished(id: string): Promise<void> {
      if (timelines.get(id)?.outcome) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.set(id, () => {
          waiters.delete(id);
          const outcome = timelines.get(id)?.outcome;
          if (outcome === "completionCompleted") resolve();
          else reject(new Error(`completion ${id} ended ${outcome}; see the session's events`));
        });
        void follow.catch(reject);
      });
    },
  };
}

export function controlPlaneDir(root: string): string {
  return join(root, "control-plane");
}
