import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { silentLogger } from "../../shared/log.js";
import { createModelClient } from "../../shared/llm/model-client.js";
import type { ModelMessage } from "../../shared/llm/model.js";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { capturedLogger, llmConfig, serveScript } from "./support.js";

const planSchema = z.strictObject({
  intent: z.enum(["code_change", "question"]),
  summary: z.string().min(1),
  files: z.array(z.string()),
});

const ask: ModelMessage[] = [
  { role: "system", content: "You are the PushPals planner. Reply with a plan as JSON." },
  { role: "user", content: "Add a README section." },
];
const options = () => ({ schemaName: "plan", signal: AbortSignal.timeout(5000) });

let server: ScriptedModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("completeJson", () => {
  it("sends the schema as response_format json_schema and returns the validated value with usage", async () => {
    server = await serveScript("plan-structured.jsonl");
    const model = createModelClient(llmConfig(server.url), "planner", silentLogger);

    const reply = await model.completeJson(ask, planSchema, options());

    expect(reply.error).toBeUndefined();
    expect(reply.value).toEqual({ intent: "code_change", summary: "Add a README section", files: ["README.md"] });
    expect(reply.usage).toEqual({ promptTokens: 40, completionTokens: 18 });
    const sent = server.requests()[0]?.body as { response_format: { type: string; json_schema: { name: string; strict: boolean; schema: unknown } } };
    expect(sent.response_format.type).toBe("json_schema");
    expect(sent.response_format.json_schema.name).toBe("plan");
    expect(sent.response_format.json_schema.schema).toMatchObject({
      type: "object",
      required: ["intent", "summary", "files"],
      properties: { intent: { enum: ["code_change", "question"] }, files: { type: "array" } },
      additionalProperties: false,
    });
  });

  it("falls back to plain JSON when the endpoint rejects response_format, and remembers", async () => {
    server = await serveScript("plan-without-structured-output.jsonl");
    const { logger, lines } = capturedLogger();
    const model = createModelClient(llmConfig(server.url), "planner", logger);

    const first = await model.completeJson(ask, planSchema, options());
    // Prose around the object, with braces inside one of its strings.
    expect(first.value).toEqual({ intent: "code_change", summary: "Fix the {braces} bug", files: ["src/a.ts"] });
    expect(first.usage).toEqual({ promptTokens: 30, completionTokens: 25 });

    const second = await model.completeJson(ask, planSchema, options());
    expect(second.value).toEqual({ intent: "question", summary: "Answer only", files: [] });

    const sent = server.requests();
    expect(sent.map((r) => [r.status, hasResponseFormat(r.body)])).toEqual([
      [400, true],
      [200, false],
      [200, false],
    ]);
    expect(lines().some((l) => l.level === 40 && String(l.msg).includes("rejected response_format"))).toBe(true);
  });

  it("extracts JSON from a ```json fence in prose", async () => {
    server = await serveScript("plan-fenced.jsonl");
    const model = createModelClient(llmConfig(server.url), "planner", silentLogger);

    const reply = await model.completeJson(ask, planSchema, options());

    expect(reply.value).toEqual({ intent: "code_change", summary: "Rename helper", files: ["lib/util.ts", "lib/index.ts"] });
    expect(reply.raw).toContain("I looked at the repository.");
  });

  it("returns invalid replies as error text fit for a repair prompt instead of throwing", async () => {
    server = await serveScript("plan-invalid.jsonl");
    const model = createModelClient(llmConfig(server.url), "planner", silentLogger);

    const wrongShape = await model.completeJson(ask, planSchema, options());
    expect(wrongShape.value).toBeUndefined();
    expect(wrongShape.raw).toBe('{"intent": "refactor_everything", "summary": 42}');
    expect(wrongShape.error).toContain("does not match the plan schema");
    expect(wrongShape.error).toMatch(/intent/);
    expect(wrongShape.error).toMatch(/summary/);
    expect(wrongShape.error).toMatch(/files/);
    expect(wrongShape.usage.completionTokens).toBeGreaterThan(0);

    const noJson = await model.completeJson(ask, planSchema, options());
    expect(noJson.value).toBeUndefined();
    expect(noJson.error).toBe("the reply contains no JSON object. Reply with one JSON object matching the plan schema.");

    const cutOff = await model.completeJson(ask, planSchema, options());
    expect(cutOff.value).toBeUndefined();
    expect(cutOff.error).toContain("does not parse");
    expect(cutOff.error).toContain("cut off at the token limit");
  });
});

function hasResponseFormat(body: unknown): boolean {
  return typeof body === "object" && body !== null && "response_format" in body;
}
