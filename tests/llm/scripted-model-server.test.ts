import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import OpenAI, { InternalServerError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/log.js";
import { createModelClient } from "../../shared/llm/model-client.js";
import type { ModelMessage } from "../../shared/llm/model.js";
import { parseCliArgs, runScriptedModelServer, UsageError } from "../../dev/fake-model/scripted-model-server-cli.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { loadScript, ScriptError } from "../../dev/fake-model/scripted-script.js";
import { itIfAvailable } from "../sandbox/environment.js";
import { llmConfig, scriptPath, serveScript } from "./support.js";

let server: ScriptedModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const openai = (url: string) => new OpenAI({ baseURL: url, apiKey: "test", maxRetries: 0 });
const planner = (ask: string): ModelMessage[] => [
  { role: "system", content: "You are the PushPals planner. Turn requests into plans." },
  { role: "user", content: ask },
];
const agent = (ask: string): ModelMessage[] => [
  { role: "system", content: "You are the PushPals coding agent. Propose one shell command." },
  { role: "user", content: ask },
];

describe("scripted model server", () => {
  it("routes matched replies by role, whatever order the roles call in", async () => {
    server = await serveScript("two-roles.jsonl");
    const config = llmConfig(server.url);
    const plannerModel = createModelClient(config, "planner", silentLogger);
    const agentModel = createModelClient(config, "agent", silentLogger);
    const chatModel = createModelClient(llmConfig(server.url, { model: "chat-model" }), "chat", silentLogger);
    const signal = AbortSignal.timeout(5000);

    const texts = [
      (await agentModel.complete(agent("step 1"), { signal })).text,
      (await plannerModel.complete(planner("add docs"), { signal })).text,
      (await chatModel.complete([{ role: "user", content: "hello there" }], { signal })).text,
      (await agentModel.complete(agent("step 2"), { signal })).text,
      (await chatModel.complete([{ role: "user", content: "status please" }], { signal })).text,
      (await plannerModel.complete(planner("more docs"), { signal })).text,
    ];

    expect(texts).toEqual(["agent reply 1", "planner reply 1", "chat reply", "agent reply 2", "status reply", "planner reply 2"]);
    expect(server.requests().map((r) => r.line)).toEqual([4, 3, 8, 5, 7, 6]);
    expect(server.remaining()).toBe(0);
  });

  it("answers 500 with a clear message, and no retry hint, once the script is exhausted", async () => {
    server = await serveScript("hello.jsonl");
    const client = openai(server.url);
    await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "1" }] });
    await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "2" }] });

    const response = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "3" }] }),
    });

    expect(response.status).toBe(500);
    expect(response.headers.get("x-should-retry")).toBe("false");
    const body = (await response.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe("server_error");
    expect(body.error.message).toBe(
      `scripted model server: no reply left in ${scriptPath("hello.jsonl")} for this request: all 2 replies are used; add a reply line to the script`,
    );
  });

  it("says which replies are left when none matches the request", async () => {
    server = await serveScript("two-roles.jsonl");
    const error = await openai(server.url)
      .chat.completions.create({ model: "m", messages: [{ role: "user", content: "unmatched ask" }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).message).toContain('0 of 6 replies are used and none of the 6 left matches this request (model "m", last user message "unmatched ask")');
  });

  it("through the model client, an exhausted script is one request and an error quoting the server", async () => {
    server = await startScriptedModelServer({ script: [] });
    const model = createModelClient(llmConfig(server.url, { maxRetries: 3 }), "planner", silentLogger);

    await expect(model.complete(planner("x"), { signal: AbortSignal.timeout(5000) })).rejects.toThrow(/answered 500: scripted model server: no reply left in inline script/);
    expect(server.requests()).toHaveLength(1);
  });

  it("serves tool calls, streamed and not, in OpenAI's shapes", async () => {
    server = await startScriptedModelServer({
      script: [
        { tool_calls: [{ function: { name: "run_shell", arguments: { command: "ls -la" } } }] },
        { tool_calls: [{ id: "call_7", function: { name: "run_shell", arguments: '{"command":"pwd"}' } }] },
      ],
    });
    const client = openai(server.url);

    const completion = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "look around" }] });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function).toEqual({ name: "run_shell", arguments: '{"command":"ls -la"}' });

    const stream = client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "where am I" }] });
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    expect(streamed).toMatchObject({ id: "call_7", type: "function", function: { name: "run_shell", arguments: '{"command":"pwd"}' } });
  });

  it("lists models and exposes the requests it recorded over HTTP", async () => {
    server = await serveScript("two-roles.jsonl");
    const client = openai(server.url);

    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(["scripted", "chat-model"]);
    await client.chat.completions.create({ model: "chat-model", messages: [{ role: "user", content: "hi" }] });

    const response = await fetch(server.url.replace(/\/v1$/, "/_scripted/requests"));
    const body = (await response.json()) as { requests: { path: string; status: number; line: number | null; body: unknown }[]; remaining: number };
    expect(body.remaining).toBe(5);
    expect(body.requests.map((r) => [r.path, r.status, r.line])).toEqual([
      ["/v1/models", 200, null],
      ["/v1/chat/completions", 200, 8],
    ]);
    expect(body.requests[1]?.body).toEqual({ model: "chat-model", messages: [{ role: "user", content: "hi" }] });
  });

  it("answers a malformed request with 400 naming the field, and keeps its replies", async () => {
    server = await serveScript("hello.jsonl");
    const error = await openai(server.url)
      .chat.completions.create({ model: "m", messages: [] })
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 400, param: "messages" });
    expect(String((error as Error).message)).toContain("invalid chat completion request: messages:");
    expect(server.remaining()).toBe(2);
  });

  it("stops a delayed reply when the client goes away, without using the next reply", async () => {
    server = await startScriptedModelServer({ script: [{ delay_ms: 5000, content: "late" }, { content: "next" }] });
    const controller = new AbortController();
    const pending = openai(server.url).chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);

    await expect(pending).rejects.toThrow(/abort/i);
    expect(server.remaining()).toBe(1);
  });

  it("refuses a script line with a clear error naming the file and line", async () => {
    const file = scriptPath("bad-line.jsonl");
    await expect(loadScript(file)).rejects.toThrow(ScriptError);
    await expect(loadScript(file)).rejects.toThrow(`${file} line 3: (reply): Unrecognized key: "contnet"`);
    await expect(startScriptedModelServer({ script: [{ content: "x", status: 500 }] })).rejects.toThrow(
      "inline script line 1: (reply): a reply with status is an error reply; leave out content and tool_calls",
    );
    await expect(loadScript("/nonexistent/script.jsonl")).rejects.toThrow(/cannot read the model script \/nonexistent\/script.jsonl/);
  });
});

describe("scripted model server command line", () => {
  it("parses its flags and explains mistakes", () => {
    expect(parseCliArgs(["--script", "a.jsonl"])).toEqual({ script: "a.jsonl", port: 0, host: "127.0.0.1" });
    expect(() => parseCliArgs([])).toThrow(UsageError);
    expect(() => parseCliArgs([])).toThrow(/--script is required\nusage: scripted-model-server --script/);
    expect(() => parseCliArgs(["--script", "a.jsonl", "--port", "http"])).toThrow(/--port must be a whole number/);
    expect(() => parseCliArgs(["--scrpit", "a.jsonl"])).toThrow(/Unknown option '--scrpit'/);
  });

  it("prints its base URL as the one line on stdout", async () => {
    const out: string[] = [];
    const sink = { write: (text: string) => out.push(text) } as unknown as NodeJS.WritableStream;
    server = await runScriptedModelServer(["--script", scriptPath("hello.jsonl")], sink, silentLogger);

    expect(out).toEqual([`${server.url}\n`]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const reply = await openai(server.url).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(reply.choices[0]?.message.content).toBe("Hello from the scripted model.");
  });

  const main = fileURLToPath(new URL("../../dist/dev/fake-model/scripted-model-server-main.js", import.meta.url));
  const built = { name: "dist/ (the built services)", available: existsSync(main), howToGet: "run `npm run build` first (npm test does)" };
  itIfAvailable("runs as a process from dist/ and stops on SIGTERM", built, async () => {
    const child = spawn(process.execPath, [main, "--script", scriptPath("hello.jsonl"), "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding("utf8").once("data", (line: string) => resolve(line.trim()));
        child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
      });
      const reply = await openai(url).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
      expect(reply.choices[0]?.message.content).toBe("Hello from the scripted model.");
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});
