import { create } from "@bufbuild/protobuf";
import { join } from "node:path";
import { ItemStatus, Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema, type CompletionPayload, type QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { integrationService } from "../../../services/integration/integration-service.js";
import { runIntegrationWorker, type WorkerOverrides } from "../../../services/integration/worker/run-worker.js";
import { loadConfig } from "../../../shared/config/load.js";
import type { Config } from "../../../shared/config/schema.js";
import { createLogger } from "../../../shared/log.js";
import type { ServiceContext } from "../../../shared/service-definition.js";
import { startTestControlPlane, type ControlPlaneOptions, type TestControlPlane } from "../../support/control-plane.js";
import { createScene, type Scene } from "./scene.js";

/**
 * A git scene (bare remote, supervisor's repository) plus a real control plane and a
 * session: what the integration service runs against, with helpers to enqueue
 * completions, run the service's loop and wait for the queue to say how it went.
 */
export interface ServiceScene {
  git: Scene;
  cp: TestControlPlane;
  sessionId: string;
  /** The service's config: this scene's repository and data dir, checks on the host, plus `overrides` (dotted camelCase paths). */
  config(overrides?: Record<string, unknown>): Config;
  context(config: Config): ServiceContext;
  /** Runs the integration service's `run` (or the worker with overrides) until stop(). */
  startWorker(options?: { overrides?: Record<string, unknown>; worker?: WorkerOverrides }): RunningWorker;
  enqueue(completion: CompletionPayload, options?: { idempotencyKey?: string; priority?: Priority; maxAttempts?: number }): Promise<QueueItem>;
  /** Polls GetItem until the item reaches one of `statuses`; fails at once if a worker crashed. */
  waitFor(itemId: string, statuses: ItemStatus[], timeoutMs?: number): Promise<QueueItem>;
  /** Polls GetItem until `done(item)`; fails at once if a worker crashed. */
  waitUntil(itemId: string, what: string, done: (item: QueueItem) => boolean, timeoutMs?: number): Promise<QueueItem>;
  /** The session's events (about `itemId` when given), oldest first. */
  events(itemId?: string): Promise<Event[]>;
  close(): Promise<void>;
}

export interface RunningWorker {
  stop(): Promise<void>;
  /** Set when the loop ended with an error. */
  readonly error: unknown;
}

export async function createServiceScene(options: { controlPlane?: ControlPlaneOptions; files?: Record<string, string> } = {}): Promise<ServiceScene> {
  const git = await createScene(options.files);
  const cp = await startTestControlPlane({ ...options.controlPlane, overrides: { "queues.backoffBaseSeconds": 0.2, ...options.controlPlane?.overrides } });
  const { session } = await cp.clients.sessions.createSession({ title: "integration" });
  const sessionId = session?.id ?? "";
  const workers: RunningWorker[] = [];
  const logger = createLogger("test-integration");

  const scene: ServiceScene = {
    git,
    cp,
    sessionId,
    config(overrides = {}) {
      return loadConfig({
        env: {},
        overrides: {
          "repo.path": git.repo,
          "storage.dataDir": git.dataDir,
          "integration.checkDriver": "host",
          ...overrides,
        },
      });
    },
    context(config) {
      return { config, logger, controlPlaneUrl: cp.url, clients: cp.clients };
    },
    startWorker(start = {}) {
      const controller = new AbortController();
      const context = scene.context(scene.config(start.overrides));
      const running = start.worker ? runIntegrationWorker(context, controller.signal, start.worker) : integrationService.run!(context, controller.signal);
      let error: unknown;
      const done = running.catch((cause: unknown) => {
        error = cause ?? new Error("worker failed");
      });
      const worker: RunningWorker = {
        get error() {
          return error;
        },
        async stop() {
          controller.abort();
          await done;
        },
      };
      workers.push(worker);
      return worker;
    },
    async enqueue(completion, enqueueOptions = {}) {
      const { item } = await cp.clients.queues.enqueue({
        queue: QueueName.COMPLETIONS,
        sessionId,
        priority: enqueueOptions.priority ?? Priority.NORMAL,
        payload: create(ItemPayloadSchema, { kind: { case: "completion", value: completion } }),
        idempotencyKey: enqueueOptions.idempotencyKey ?? "",
        maxAttempts: enqueueOptions.maxAttempts ?? 0,
      });
      if (!item) throw new Error("enqueue returned no item");
      return item;
    },
    waitFor(itemId, statuses, timeoutMs) {
      return scene.waitUntil(itemId, statuses.map((s) => ItemStatus[s]).join("/"), (item) => statuses.includes(item.status), timeoutMs);
    },
    async waitUntil(itemId, what, done, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: QueueItem | undefined;
      for (;;) {
        const crashed = workers.find((w) => w.error !== undefined);
        if (crashed) throw new Error(`the integration worker stopped with an error: ${String(crashed.error)}`, { cause: crashed.error });
        last = (await cp.clients.queues.getItem({ itemId })).item;
        if (last && done(last)) return last;
        if (Date.now() > deadline) {
          const state = last ? `${ItemStatus[last.status]}, attempts ${last.attempts}, last error ${JSON.stringify(last.lastError)}` : "missing";
          throw new Error(`${itemId} did not reach ${what} in ${timeoutMs} ms; it is ${state}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async events(itemId) {
      const all: Event[] = [];
      let afterSeq = 0n;
      for (;;) {
        const page = await cp.clients.sessions.listEvents({ sessionId, afterSeq, limit: 1000, itemId: itemId ?? "" });
        all.push(...page.events);
        if (!page.hasMore) return all;
        afterSeq = page.nextAfterSeq;
      }
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await cp.stop();
      await git.remove();
    },
  };
  return scene;
}

/** A second integrator's home: its own clone of the remote and data dir, as on another machine. */
export function elsewhere(scene: ServiceScene, name: string): { repo: string; dataDir: string } {
  return { repo: join(scene.git.root, `${name}-repo`), dataDir: join(scene.git.root, `${name}-data`) };
}
