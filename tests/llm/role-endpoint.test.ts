import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadConfig } from "../../shared/config/load.js";
import { silentLogger } from "../../shared/log.js";
import { createModelClient } from "../../shared/llm/model-client.js";
import { resolveRoleEndpoint } from "../../shared/llm/role-endpoint.js";
import { startScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { modelSummary } from "../../cli/model-summary.js";
import { tempDir, type TempDir } from "../support/tmp.js";

// The shipped defaults, without any configs/local.toml a developer may have.
let configs: TempDir;
beforeAll(async () => {
  configs = await tempDir("pushpals-llm-config-");
  await copyFile(fileURLToPath(new URL("../../configs/default.toml", import.meta.url)), join(configs.path, "default.toml"));
});
afterAll(() => configs.remove());

const llmFrom = (env: Record<string, string>) => loadConfig({ env, configDir: configs.path }).llm;

describe("resolveRoleEndpoint", () => {
  it("lets PUSHPALS_PLANNER_LLM_* override PUSHPALS_LLM_* for the planner only", () => {
    const llm = llmFrom({
      PUSHPALS_LLM_BASE_URL: "http://shared.invalid/v1",
      PUSHPALS_LLM_MODEL: "shared-model",
      PUSHPALS_LLM_API_KEY: "shared-key",
      PUSHPALS_LLM_TIMEOUT_SECONDS: "30",
      PUSHPALS_PLANNER_LLM_MODEL: "planner-model",
      PUSHPALS_AGENT_LLM_BASE_URL: "http://agent.invalid/v1",
      PUSHPALS_AGENT_LLM_API_KEY: "",
    });

    expect(resolveRoleEndpoint(llm, "planner")).toEqual({
      role: "planner",
      baseUrl: "http://shared.invalid/v1",
      model: "planner-model",
      apiKey: "shared-key",
      timeoutMs: 30_000,
      maxRetries: 3,
    });
    expect(resolveRoleEndpoint(llm, "chat").model).toBe("shared-model");
    // An empty override reads as unset, so the agent keeps the shared key.
    expect(resolveRoleEndpoint(llm, "agent")).toMatchObject({ baseUrl: "http://agent.invalid/v1", model: "shared-model", apiKey: "shared-key" });
  });

  it("takes a role's own timeout and retries from the config files or flags", () => {
    const llm = loadConfig({
      env: { PUSHPALS_LLM_MODEL: "m", PUSHPALS_LLM_MAX_RETRIES: "5" },
      configDir: configs.path,
      overrides: { "llm.agent.timeoutSeconds": 600, "llm.agent.maxRetries": 0 },
    }).llm;

    expect(resolveRoleEndpoint(llm, "agent")).toMatchObject({ timeoutMs: 600_000, maxRetries: 0 });
    expect(resolveRoleEndpoint(llm, "planner")).toMatchObject({ timeoutMs: 120_000, maxRetries: 5 });
  });

  it("rejects a base URL that is not http(s) at start-up, naming the variable it came from", () => {
    expect(() => llmFrom({ PUSHPALS_PLANNER_LLM_BASE_URL: "localhost:11434" })).toThrow(ConfigError);
    expect(() => llmFrom({ PUSHPALS_PLANNER_LLM_BASE_URL: "localhost:11434" })).toThrow(
      /llm\.planner\.baseUrl = "localhost:11434" \(from environment PUSHPALS_PLANNER_LLM_BASE_URL\): must be an http\(s\) URL/,
    );
  });
});

describe("a role without a model", () => {
  it("fails every call at once with FailedPrecondition naming the variables to set", async () => {
    const model = createModelClient(llmFrom({ PUSHPALS_LLM_BASE_URL: "http://127.0.0.1:9/v1", PUSHPALS_CHAT_LLM_MODEL: "chat-only" }), "planner", silentLogger);

    const started = Date.now();
    const error = await model.complete([{ role: "user", content: "plan" }], { signal: AbortSignal.timeout(5000) }).catch((e: unknown) => e);

    expect(Date.now() - started).toBeLessThan(100);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((error as ConnectError).rawMessage).toMatch(/^no model configured for the planner role: set PUSHPALS_PLANNER_LLM_MODEL or PUSHPALS_LLM_MODEL/);
    await expect(
      model.completeJson([{ role: "user", content: "plan" }], z.object({}), {
        schemaName: "plan",
        signal: AbortSignal.timeout(5000),
      }),
    ).rejects.toThrow(/PUSHPALS_PLANNER_LLM_MODEL/);
  });

  it("names the base-URL variables when neither a base URL nor an API key is set", async () => {
    const model = createModelClient(llmFrom({ PUSHPALS_AGENT_LLM_MODEL: "qwen2.5-coder" }), "agent", silentLogger);
    const stream = model.stream([{ role: "user", content: "go" }], { signal: AbortSignal.timeout(5000) });

    await expect(stream[Symbol.asyncIterator]().next()).rejects.toThrow(
      /no model endpoint configured for the agent role: set PUSHPALS_AGENT_LLM_BASE_URL or PUSHPALS_LLM_BASE_URL/,
    );
  });

  it("sends nothing to the endpoint", async () => {
    const server = await startScriptedModelServer({ script: [{ content: "should not be used" }] });
    try {
      const model = createModelClient(llmFrom({ PUSHPALS_LLM_BASE_URL: server.url }), "chat", silentLogger);
      await expect(model.complete([{ role: "user", content: "hi" }], { signal: AbortSignal.timeout(5000) })).rejects.toThrow(/PUSHPALS_CHAT_LLM_MODEL/);
      expect(server.requests()).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe("the start-up banner's model line", () => {
  it("names the model and endpoint, each role's when they differ, or what is missing", () => {
    expect(modelSummary(llmFrom({}))).toBe(
      "not ready: no model configured for the planner role: set PUSHPALS_PLANNER_LLM_MODEL or PUSHPALS_LLM_MODEL (or model under [llm] in configs/local.toml), e.g. PUSHPALS_LLM_MODEL=gpt-4o-mini; until then only status questions and scripted jobs run",
    );
    expect(modelSummary(llmFrom({ PUSHPALS_LLM_MODEL: "m", PUSHPALS_LLM_BASE_URL: "http://127.0.0.1:11434/v1" }))).toBe("m at http://127.0.0.1:11434/v1");
    expect(modelSummary(llmFrom({ PUSHPALS_LLM_MODEL: "m", PUSHPALS_LLM_API_KEY: "k" }))).toBe("m at https://api.openai.com/v1");
    expect(modelSummary(llmFrom({ PUSHPALS_PLANNER_LLM_MODEL: "p", PUSHPALS_LLM_BASE_URL: "http://h/v1" }))).toMatch(/^not ready: no model configured for the agent role/);
    expect(modelSummary(llmFrom({ PUSHPALS_LLM_MODEL: "m", PUSHPALS_AGENT_LLM_MODEL: "a", PUSHPALS_LLM_BASE_URL: "http://h/v1" }))).toBe(
      "http://h/v1 (planner role, model m); http://h/v1 (agent role, model a)",
    );
  });
});
