import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { BudgetsSchema } from "../../gen/pushpals/v1/task_pb.js";
import { loadConfig } from "../../shared/config/load.js";
import { agentEnv, agentSection } from "../../shared/config/sections/agent.js";
import { llmSection } from "../../shared/config/sections/llm.js";
import { runnerSection } from "../../shared/config/sections/runner.js";
import { silentLogger } from "../../shared/log.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { durationFromMs } from "../../shared/time.js";
import { agentBackend } from "../../services/runner/agent/backend.js";
import { agentLimits } from "../../services/runner/agent/limits.js";
import { laneSandboxSpec } from "../../services/runner/lanes/lane-sandbox.js";
import { makeLanes } from "../../services/runner/lanes/lanes.js";
import { workerLane } from "../../services/runner/lanes/worker-lane.js";
import { AGENT_MODEL, limits, recordingReporter, scene, task, type Scene } from "./support.js";

let server: ScriptedModelServer | undefined;
let current: Scene | undefined;
afterEach(async () => {
  await server?.close();
  await current?.close();
  server = current = undefined;
});

describe("[agent] config section", () => {
  it("has working defaults", () => {
    expect(agentSection.parse({})).toEqual({
      backend: "builtin",
      maxValidationRounds: 2,
      maxTokens: 2_000_000,
      commandTimeoutSeconds: 300,
      validationTimeoutSeconds: 900,
      maxOutputChars: 10_000,
      command: { template: "", env: {} },
    });
    expect(agentEnv.PUSHPALS_AGENT_BACKEND).toBe("agent.backend");
  });

  it("names the key and says what to do when a value is wrong", () => {
    const issues = (input: unknown) => agentSection.safeParse(input).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues({ backend: "command" })).toEqual([expect.stringMatching(/^command\.template: must be set when agent\.backend is "command", e\.g\. "mini/)]);
    expect(issues({ command: { template: "mini -t {task}" } })).toEqual(["command.template: may only use the placeholders {instruction_file}, {instruction}, {model}, {workdir}"]);
    expect(issues({ maxValidationRounds: -1 })?.[0]).toMatch(/^maxValidationRounds: /);
    // Shell variables and brace expansion are not placeholders.
    expect(agentSection.parse({ backend: "command", command: { template: 'aider --message-file {instruction_file} --model "${MODEL}" {a,b}' } }).backend).toBe("command");
  });
});

describe("agentLimits", () => {
  const config = { runner: runnerSection.parse({}), agent: agentSection.parse({}) };

  it("takes the plan's budgets where they are set", () => {
    const budgets = create(BudgetsSchema, { maxSteps: 7, maxTokens: 12_345n, execution: durationFromMs(90_000) });
    expect(agentLimits(config, budgets)).toEqual({
      maxSteps: 7,
      maxTokens: 12_345,
      wallTimeMs: 90_000,
      commandTimeoutMs: 300_000,
      maxOutputChars: 10_000,
      validationTimeoutMs: 900_000,
    });
  });

  it("falls back to the configured defaults for zero or missing budgets", () => {
    expect(agentLimits(config, create(BudgetsSchema, {}))).toMatchObject({ maxSteps: 40, maxTokens: 2_000_000, wallTimeMs: 1_800_000 });
    expect(agentLimits(config, undefined)).toMatchObject({ maxSteps: 40, maxTokens: 2_000_000, wallTimeMs: 1_800_000 });
  });
});

describe("agentBackend", () => {
  it("builtin: runs the loop on the agent role's model from config, in a sandbox without a model socket", async () => {
    server = await startScriptedModelServer({ script: [{ content: "```bash\necho PUSHPALS_SUBMIT && echo via config\n```" }] });
    current = await scene("process");
    const llm = llmSection.parse({ baseUrl: server.url, model: "shared-model", agent: { model: AGENT_MODEL }, maxRetries: 0 });

    const backend = await agentBackend({ agent: agentSection.parse({}), llm }, silentLogger);
    const outcome = await backend.run({ sandbox: current.sandbox, task: task("x"), limits: limits(), signal: AbortSignal.timeout(10_000), reporter: recordingReporter().reporter });

    expect(backend).toMatchObject({ name: "builtin", needsModelSocket: false });
    expect(outcome).toMatchObject({ status: "submitted", summary: "via config" });
    expect(server.requests()[0]?.body).toMatchObject({ model: AGENT_MODEL });
  });

  it("command: needs a model socket only when the CLI gets model access through the proxy, and never the network", async () => {
    const agent = agentSection.parse({ backend: "command", command: { template: "mini -y -t {instruction}" } });
    const configured = await agentBackend({ agent, llm: llmSection.parse({ baseUrl: "http://127.0.0.1:9/v1", model: "m" }) }, silentLogger);
    const unconfigured = await agentBackend({ agent, llm: llmSection.parse({}) }, silentLogger);

    expect(configured).toMatchObject({ name: "command", needsModelSocket: true });
    expect(unconfigured).toMatchObject({ name: "command", needsModelSocket: false });
    const base = { jobId: "job_1", owner: "w", worktree: "/tmp/w", env: {} };
    expect(laneSandboxSpec(workerLane(configured, { runner: runnerSection.parse({}), agent }), base)).toEqual({ ...base, modelSocket: true });
    expect(laneSandboxSpec(workerLane(unconfigured, { runner: runnerSection.parse({}), agent }), base)).toEqual(base);
  });

  it("the old agent.command.proxy_host is refused, naming the key (the proxy has no TCP port any more)", () => {
    const issues = agentSection.safeParse({ command: { template: "x", proxyHost: "0.0.0.0" } }).error?.issues;
    expect(issues?.map((issue) => `${issue.path.join(".")}: ${issue.message}`)).toEqual([expect.stringMatching(/^command: Unrecognized key: "proxyHost"/)]);
  });

  it("command with a model under the kubernetes driver: every worker job fails saying pods cannot reach the model, none gets network", async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        "runner.driver": "kubernetes",
        "agent.backend": "command",
        "agent.command.template": "mini -t {instruction}",
        "llm.baseUrl": "http://127.0.0.1:9/v1",
        "llm.model": "m",
      },
    });
    const { worker } = await makeLanes(config, silentLogger);

    expect(worker.needsModelSocket).toBe(false);
    await expect(worker.run({} as Parameters<typeof worker.run>[0])).rejects.toThrow(/agent loop not available: .*the kubernetes driver cannot give an agent CLI its model yet/);
  });
});
