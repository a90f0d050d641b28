import { join } from "node:path";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTree } from "../../cli/commands/up.js";
import { createDemoProject } from "../../cli/demo/demo-project.js";
import { loadServices } from "../../cli/service-registry.js";
import { createClients, type Clients } from "../../shared/clients.js";
import { loadConfig } from "../../shared/config/load.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { createLogger } from "../../shared/log.js";
import { packageRoot } from "../../shared/paths.js";
import { SERVICE_ATTRIBUTE } from "../../shared/telemetry/trace-names.js";
import { startTracing, type Tracing } from "../../shared/telemetry/tracing.js";
import { waitForServices } from "../../shared/service-readiness.js";
import { followWork } from "../e2e/support/follow-work.js";
import { tempDir, type TempDir } from "../support/tmp.js";

/**
 * The embedded system in this process with tracing into an in-memory exporter and /metrics on:
 * one message → plan → job → merge on the scripted model, then the trace and a real scrape.
 */
describe("telemetry of one message's whole path (embedded)", () => {
  const exporter = new InMemorySpanExporter();
  let dir: TempDir;
  let model: ScriptedModelServer;
  let tracing: Tracing;
  let url: string;
  let clients: Clients;
  const stop = new AbortController();
  let running: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    dir = await tempDir("pushpals-telemetry-");
    const { repo } = await createDemoProject(dir.path);
    model = await startScriptedModelServer({ script: join(packageRoot(), "cli", "demo", "demo-script.jsonl") });
    const config = loadConfig({
      env: {},
      cwd: repo,
      overrides: {
        "repo.path": repo,
        "server.port": 0,
        "llm.baseUrl": model.url,
        "llm.model": "pushpals-telemetry",
        "llm.apiKey": "telemetry-key",
        "observability.metrics": true,
        "observability.tracing": true,
        "queues.pollSeconds": 0.5,
        // A scratch repository and a scripted agent: the process driver may run it where bubblewrap is missing.
        "runner.allowUnisolated": true,
        "integration.checks": [{ name: "test", command: "node test.js", timeoutSeconds: 60 }],
      },
    });
    const logger = createLogger();
    tracing = startTracing({ serviceName: "pushpals", endpoint: "unused", logger, spanProcessor: new SimpleSpanProcessor(exporter) });
    let listening!: (url: string) => void;
    const listened = new Promise<string>((resolve) => (listening = resolve));
    const tree = await buildTree(config, logger, await loadServices(), { onListening: listening });
    running = tree.serve(stop.signal);
    url = await Promise.race([listened, running.then(() => Promise.reject(new Error("the tree stopped before it listened")))]);
    clients = createClients(url);
    await waitForServices(clients, { timeoutMs: 45_000, intervalMs: 200 });
  }, 60_000);

  afterAll(async () => {
    stop.abort();
    await running.catch(() => undefined);
    await tracing?.shutdown();
    await model?.close();
    await dir?.remove();
  }, 60_000);

  it("records one trace from chat through planner and runner to integration, and a scrape shows the work", async () => {
    const { session } = await clients.sessions.createSession({ title: "telemetry" });
    const work = followWork(clients, session!.id, { timeoutMs: 90_000 });
    try {
      await clients.chat.send({ sessionId: session!.id, text: "fix the failing test", author: "test" });
      await work.merged;

      // --- the trace ---
      // The merge is announced before integration's span around it ends.
      await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === "integration completions item"), { timeout: 15_000 }).toBe(true);
      const spans = exporter.getFinishedSpans();
      // The readiness probes sent Send calls of their own before; the message's trace is the one the planner joined.
      const planned = spans.find((s) => s.name === "planner requests item");
      expect(planned, spans.map((s) => s.name).join("\n")).toBeDefined();
      const traceId = planned!.spanContext().traceId;
      const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
      const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s] as const));
      const itemSpan = (service: string) => inTrace.find((s) => s.attributes[SERVICE_ATTRIBUTE] === service && s.name.endsWith(" item"));
      const services = new Set(inTrace.map((s) => s.attributes[SERVICE_ATTRIBUTE]));
      expect([...services]).toEqual(expect.arrayContaining(["chat", "planner", "runner", "integration", "sessions"]));

      // Every span but the root has its parent in the trace: no broken links.
      const root = inTrace.filter((s) => parentOf(s) === undefined);
      expect(root.map((s) => s.name)).toEqual(["pushpals.v1.ChatService/Send"]);
      for (const span of inTrace) {
        const parent = parentOf(span);
        if (parent !== undefined) expect(byId.has(parent), `${span.name}'s parent ${parent}`).toBe(true);
      }
      const ancestors = (span: ReadableSpan): string[] => {
        const names: string[] = [];
        for (let parent = parentOf(span); parent !== undefined; parent = parentOf(byId.get(parent)!)) names.push(byId.get(parent)!.name);
        return names;
      };
      // The queues carry the trace: each consumer's span descends from the one before it.
      const [planner, runner, integration] = [itemSpan("planner"), itemSpan("runner"), itemSpan("integration")];
      expect(planner?.name).toBe("planner requests item");
      expect(runner?.name).toBe("runner jobs item");
      expect(integration?.name).toBe("integration completions item");
      expect(ancestors(planner!)).toEqual(["pushpals.v1.QueueService/Enqueue", "pushpals.v1.ChatService/Send"]);
      expect(ancestors(runner!)).toContain("planner requests item");
      expect(ancestors(integration!)).toContain("runner jobs item");
      expect(ancestors(integration!).at(-1)).toBe("pushpals.v1.ChatService/Send");

      // --- the scrape, with a live event stream open ---
      const watching = new AbortController();
      const stream = clients.sessions.streamEvents({ sessionId: session!.id }, { signal: watching.signal })[Symbol.asyncIterator]();
      expect((await stream.next()).done).toBe(false);
      const response = await fetch(`${url}/metrics`);
      watching.abort();
      expect(response.status).toBe(200);
      const text = await response.text();
      const value = (line: string) => Number(new RegExp(`^${escape(line)} ([\\d.e+-]+)$`, "m").exec(text)?.[1] ?? Number.NaN);
      for (const queue of ["requests", "jobs", "completions"]) {
        expect(value(`pushpals_queue_depth{queue="${queue}",state="pending",priority="normal"}`), queue).toBe(0);
        expect(value(`pushpals_queue_depth{queue="${queue}",state="claimed"}`), queue).toBe(0);
        expect(value(`pushpals_claim_latency_seconds_count{queue="${queue}"}`), queue).toBeGreaterThanOrEqual(1);
        expect(value(`pushpals_item_duration_seconds_count{queue="${queue}",outcome="completed"}`), queue).toBeGreaterThanOrEqual(1);
      }
      expect(value('pushpals_stream_subscribers{rpc="pushpals.v1.SessionService/StreamEvents"}')).toBeGreaterThanOrEqual(1);
      expect(value('pushpals_model_tokens_total{role="planner",kind="prompt"}')).toBeGreaterThan(0);
      expect(value('pushpals_model_tokens_total{role="agent",kind="completion"}')).toBeGreaterThan(0);
      expect(text).toMatch(/^pushpals_process_cpu_seconds_total [\d.e+-]+$/m);
    } finally {
      work.close();
    }
  }, 120_000);
});

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
