import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { createChatService } from "../../services/chat/chat-service.js";
import { createClients, type Clients } from "../../shared/clients.js";
import type { Config } from "../../shared/config/schema.js";
import { llmSection } from "../../shared/config/sections/llm.js";
import { startScriptedModelServer, type ScriptedModelServer, type RecordedRequest } from "../../dev/fake-model/scripted-model-server.js";
import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import { createLogger } from "../../shared/log.js";
import { startRpcServer, type RpcServer } from "../../shared/rpc/server.js";
import type { ServiceContext } from "../../shared/service-definition.js";
import { createPlannerService } from "../../services/planner/planner-service.js";
import type { PlannerSettings } from "../../services/planner/planner-settings.js";
import { startTestControlPlane, type ControlPlaneOptions, type TestControlPlane } from "../support/control-plane.js";
import { initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

export function plannerScript(name: string): string {
  return fileURLToPath(new URL(`../fixtures/planner-scripts/${name}`, import.meta.url));
}

export interface SceneOptions {
  /** A script file under tests/fixtures/planner-scripts, or inline replies. */
  script: string | readonly ScriptedReplyInput[];
  /** Overrides of the [llm] section (e.g. `{ model: "" }` for an unconfigured model). */
  llm?: z.input<typeof llmSection>;
  planner?: Partial<PlannerSettings>;
  controlPlane?: ControlPlaneOptions;
  repoFiles?: Record<string, string>;
}

/**
 * A real control plane, a scripted OpenAI-compatible model server, a git repository, and the
 * chat and planner services in this process: their routes on an RPC server of their own (as
 * `pushpals serve` would), their loops started and stopped by the test.
 */
export interface Scene {
  cp: TestControlPlane;
  model: ScriptedModelServer;
  repo: TempDir;
  /** Clients of the chat/planner RPC server. */
  services: Clients;
  context: ServiceContext;
  sessionId: string;
  startPlanner(settings?: Partial<PlannerSettings>): RunningLoop;
  close(): Promise<void>;
}

export interface RunningLoop {
  /** Aborts the loop (as a crash of its process would, it does nothing more with what it holds). */
  stop(): Promise<void>;
  done: Promise<void>;
}

export async function scene(options: SceneOptions): Promise<Scene> {
  const model = await startScriptedModelServer({ script: typeof options.script === "string" ? plannerScript(options.script) : options.script });
  const cp = await startTestControlPlane({ ...options.controlPlane, overrides: { "queues.backoffBaseSeconds": 0, ...options.controlPlane?.overrides } });
  const repo = await tempDir("pushpals-planner-repo-");
  await initRepo(repo.path, options.repoFiles ?? { "README.md": "# scratch\n", "src/greet.ts": "export const greet = () => 'hi';\n" });
  const config: Config = {
    ...cp.config,
    repo: { path: repo.path, baseBranch: "main" },
    llm: llmSection.parse({ baseUrl: model.url, model: "scripted", maxRetries: 0, timeoutSeconds: 10, ...options.llm }),
  };
  const context: ServiceContext = { config, logger: createLogger("test"), controlPlaneUrl: cp.url, clients: cp.clients };
  const settings: Partial<PlannerSettings> = { workerId: "planner-test", leaseMs: 5000, ...options.planner };
  const planner = createPlannerService({ settings });
  const chat = createChatService();
  const rpc: RpcServer = await startRpcServer({
    host: "127.0.0.1",
    port: 0,
    maxRequestBytes: 4 * 1024 * 1024,
    shutdownGraceMs: 1000,
    logger: context.logger,
    register: (router) => {
      chat.routes?.(router, () => context);
      planner.routes?.(router, () => context);
    },
  });
  const sessionId = (await cp.clients.sessions.createSession({ title: "planner test" })).session!.id;
  const loops: RunningLoop[] = [];

  return {
    cp,
    model,
    repo,
    services: createClients(rpc.url),
    context,
    sessionId,
    startPlanner(overrides = {}) {
      const controller = new AbortController();
      const service = Object.keys(overrides).length === 0 ? planner : createPlannerService({ settings: { ...settings, ...overrides } });
      const done = service.run!(context, controller.signal);
      const loop = { done, stop: async () => (controller.abort(), await done) };
      loops.push(loop);
      return loop;
    },
    async close() {
      await Promise.allSettled(loops.map((loop) => loop.stop()));
      await rpc.close();
      await cp.stop();
      await model.close();
      await repo.remove();
    },
  };
}

/** Polls (the bus has no "item finished" wait for a test) until the item leaves pending/claimed. */
export async function waitForItem(clients: Clients, itemId: string, until: (item: QueueItem) => boolean, timeoutMs = 15_000): Promise<QueueItem> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { item } = await clients.queues.getItem({ itemId });
    if (item && until(item)) return item;
    if (Date.now() > deadline) throw new Error(`item ${itemId} did not reach the expected state in ${timeoutMs} ms (last: status ${item?.status}, error ${item?.lastError})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const finished = (item: QueueItem) => item.status !== ItemStatus.PENDING && item.status !== ItemStatus.CLAIMED;

export async function sessionEvents(clients: Clients, sessionId: string): Promise<Event[]> {
  const all: Event[] = [];
  let afterSeq = 0n;
  for (;;) {
    const page = await clients.sessions.listEvents({ sessionId, afterSeq, limit: 1000 });
    all.push(...page.events);
    if (!page.hasMore) return all;
    afterSeq = page.nextAfterSeq;
  }
}

type Payload = Event["payload"];
type PayloadValue<C> = Extract<Payload, { case: C }>["value"];

/** The payloads of one kind of event, in log order. */
export function eventsOf<C extends NonNullable<Payload["case"]>>(events: Event[], kind: C): PayloadValue<C>[] {
  const found: PayloadValue<C>[] = [];
  for (const event of events) if (event.payload.case === kind) found.push(event.payload.value as PayloadValue<C>);
  return found;
}

export async function jobsOf(clients: Clients, sessionId: string): Promise<QueueItem[]> {
  return (await clients.queues.listItems({ queue: QueueName.JOBS, sessionId })).items;
}

/** The chat messages each model request carried, in order. */
export function sentMessages(model: ScriptedModelServer): { role: string; content: string }[][] {
  return model
    .requests()
    .filter((request: RecordedRequest) => request.path === "/v1/chat/completions")
    .map((request) => (request.body as { messages: { role: string; content: string }[] }).messages);
}
