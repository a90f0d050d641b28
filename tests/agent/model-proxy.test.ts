import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import OpenAI, { AuthenticationError, RateLimitError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { TokenCounts } from "../../shared/llm/model.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { startBridge, type ModelBridge } from "../../services/runner/agent/model-bridge.mjs";
import { startModelProxy, type ModelProxy } from "../../services/runner/agent/model-proxy.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { recordingUpstream } from "./recording-upstream.js";

const REAL_KEY = "sk-real-secret-never-in-a-sandbox";

let scripted: ScriptedModelServer | undefined;
let upstream: Awaited<ReturnType<typeof recordingUpstream>> | undefined;
let proxy: ModelProxy | undefined;
let bridge: ModelBridge | undefined;
let dir: TempDir | undefined;
afterEach(async () => {
  await bridge?.close();
  await proxy?.close();
  await upstream?.close();
  await scripted?.close();
  await dir?.remove();
  bridge = proxy = upstream = scripted = dir = undefined;
});

async function setUp(budget = 1_000_000) {
  scripted = await startScriptedModelServer({
    script: [
      { content: "first answer", usage: { prompt_tokens: 300, completion_tokens: 40 } },
      { content: "streamed answer", usage: { prompt_tokens: 200, completion_tokens: 10 } },
    ],
  });
  upstream = await recordingUpstream(scripted.url);
  dir = await tempDir("pp-proxy-");
  const charged: TokenCounts[] = [];
  proxy = await startModelProxy({
    upstream: { baseUrl: upstream.url, apiKey: REAL_KEY, model: "job-model", timeoutMs: 5000 },
    socketPath: join(dir.path, "model.sock"),
    tokensLeft: () => budget - charged.reduce((sum, u) => sum + u.promptTokens + u.completionTokens, 0),
    onUsage: (usage) => void charged.push(usage),
  });
  // The real client reaches the socket as a CLI in a sandbox does: through the bridge's loopback port.
  bridge = await startBridge(proxy.socketPath);
  const url = `http://127.0.0.1:${bridge.port}/v1`;
  const client = (apiKey: string) => new OpenAI({ baseURL: url, apiKey, maxRetries: 0, timeout: 5000 });
  return { charged, client, proxy, upstream, url };
}

describe("per-job model proxy", () => {
  it("forwards with the real key, pins the job's model and counts the tokens of plain and streamed replies", async () => {
    const { charged, client, proxy, upstream } = await setUp();
    expect(proxy.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const reply = await client(proxy.token).chat.completions.create({ model: "gpt-the-cli-wanted", messages: [{ role: "user", content: "hi" }] });
    expect(reply.choices[0]?.message.content).toBe("first answer");

    const stream = await client(proxy.token).chat.completions.create({ model: "other", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("streamed answer");

    expect(upstream.seen.map((r) => [r.method, r.path, r.authorization, r.body?.model])).toEqual([
      ["POST", "/chat/completions", `Bearer ${REAL_KEY}`, "job-model"],
      ["POST", "/chat/completions", `Bearer ${REAL_KEY}`, "job-model"],
    ]);
    // The proxy asked the stream for its usage, so it could count it.
    expect(upstream.seen[1]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(charged).toEqual([
      { promptTokens: 300, completionTokens: 40 },
      { promptTokens: 200, completionTokens: 10 },
    ]);
  });

  it("refuses any other token with 401 and forwards nothing", async () => {
    const { client, upstream } = await setUp();

    const error = await client(REAL_KEY)
      .chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).message).toContain("this proxy only accepts the job's token");
    expect(upstream.seen).toEqual([]);
  });

  it("refuses with 429 once the job's token budget is spent", async () => {
    const { client, proxy, upstream } = await setUp(300);
    await client(proxy.token).chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] });

    const error = await client(proxy.token)
      .chat.completions.create({ model: "x", messages: [{ role: "user", content: "again" }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).message).toContain("the job's model token budget is spent");
    expect(upstream.seen).toHaveLength(1);
  });

  it("forwards only the model routes a CLI needs", async () => {
    const { proxy, upstream, url } = await setUp();

    const response = await fetch(`${url}/files`, { headers: { authorization: `Bearer ${proxy.token}` } });

    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/^the model proxy does not forward GET \/v1\/files/);
    expect(upstream.seen).toEqual([]);
  });

  it("listens on its unix socket, and takes the socket away when it closes", async () => {
    const { proxy, client } = await setUp();
    expect(statSync(proxy.socketPath).isSocket()).toBe(true);

    await proxy.close();

    expect(existsSync(proxy.socketPath)).toBe(false);
    await expect(client(proxy.token).models.list()).rejects.toThrow(/Connection error/);
  });
});
