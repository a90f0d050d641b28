import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { fileURLToPath } from "node:url";
import type { AgentStep, TokenUsage, ValidationResult } from "../../gen/pushpals/v1/events_pb.js";
import { PlanningSchema } from "../../gen/pushpals/v1/task_pb.js";
import { llmSection } from "../../shared/config/sections/llm.js";
import { silentLogger } from "../../shared/log.js";
import { createModelClient } from "../../shared/llm/model-client.js";
import type { Model } from "../../shared/llm/model.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import type { AgentLimits, AgentReporter, AgentTask } from "../../services/runner/agent/agent-types.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../sandbox/bwrap-driver.js";
import type { Sandbox, SandboxDriver } from "../../sandbox/driver.js";
import { createProcessDriver } from "../../sandbox/process-driver.js";
import { makeWorkspace, type Workspace } from "../sandbox/fixtures.js";
import { tempDir, type TempDir } from "../support/tmp.js";

export const AGENT_MODEL = "scripted-agent";

export function agentScript(name: string): string {
  return fileURLToPath(new URL(`../fixtures/agent-scripts/${name}`, import.meta.url));
}

/** The scripted server and the real `openai` client in front of it, as the agent role. */
export async function scriptedModel(script: string | readonly ScriptedReplyInput[]): Promise<{ server: ScriptedModelServer; model: Model }> {
  const server = await startScriptedModelServer({ script: typeof script === "string" ? agentScript(script) : script });
  const config = llmSection.parse({ baseUrl: server.url, model: AGENT_MODEL, maxRetries: 0, timeoutSeconds: 10 });
  return { server, model: createModelClient(config, "agent", silentLogger) };
}

/** Every request's messages, as the model received them. */
export function sentMessages(server: ScriptedModelServer): { role: string; content: string }[][] {
  return server.requests().map((request) => (request.body as { messages: { role: string; content: string }[] }).messages);
}

export function lastUserMessage(messages: readonly { role: string; content: string }[]): string {
  return messages.findLast((message) => message.role === "user")?.content ?? "";
}

export type ReportedEvent =
  | { kind: "step"; step: AgentStep }
  | { kind: "usage"; usage: TokenUsage }
  | { kind: "validation"; result: ValidationResult }
  | { kind: "log"; line: string };

/** A reporter that keeps every event in the order the agent reported it. */
export function recordingReporter(onLog: (line: string) => void = () => {}) {
  const events: ReportedEvent[] = [];
  const reporter: AgentReporter = {
    step: (step) => void events.push({ kind: "step", step }),
    usage: (usage) => void events.push({ kind: "usage", usage }),
    validation: (result) => void events.push({ kind: "validation", result }),
    log: (line) => {
      events.push({ kind: "log", line });
      onLog(line);
    },
  };
  const pick = <K extends ReportedEvent["kind"]>(kind: K) => events.filter((e): e is Extract<ReportedEvent, { kind: K }> => e.kind === kind);
  return {
    reporter,
    events,
    steps: () => pick("step").map((e) => e.step),
    usages: () => pick("usage").map((e) => e.usage),
    validations: () => pick("validation").map((e) => e.result),
    logs: () => pick("log").map((e) => e.line),
  };
}

export function task(instruction: string, planning: MessageInitShape<typeof PlanningSchema> = {}): AgentTask {
  return { instruction, planning: create(PlanningSchema, planning) };
}

/** Tight limits, so a test that goes wrong fails fast. */
export function limits(overrides: Partial<AgentLimits> = {}): AgentLimits {
  return { maxSteps: 8, maxTokens: 1_000_000, wallTimeMs: 20_000, commandTimeoutMs: 5000, maxOutputChars: 4000, ...overrides };
}

export const bwrapRequirement = {
  name: "bubblewrap (bwrap)",
  available: await createBwrapDriver().available(),
  howToGet: INSTALL_BWRAP_HINT,
};

/** A job's worktree (a linked git worktree) with a sandbox on it; `close` removes both. */
export interface Scene {
  workspace: Workspace;
  sandbox: Sandbox;
  close(): Promise<void>;
}

/** `modelSocket`: start the sandbox as the runner does for a command agent with a model. */
export async function scene(kind: "process" | "bwrap", options: { modelSocket?: boolean } = {}): Promise<Scene> {
  const workspace = await makeWorkspace();
  let groups: TempDir | undefined;
  let driver: SandboxDriver;
  if (kind === "process") {
    groups = await tempDir("pushpals-agent-groups-");
    driver = createProcessDriver({ groupsDir: groups.path });
  } else {
    driver = createBwrapDriver();
  }
  const sandbox = await driver.start({
    jobId: "job-agent-test",
    owner: "agent-tests",
    worktree: workspace.worktree,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/tmp" },
    ...(options.modelSocket ? { modelSocket: true } : {}),
  });
  return {
    workspace,
    sandbox,
    async close() {
      await sandbox.stop();
      await workspace.dir.remove();
      await groups?.remove();
    },
  };
}
