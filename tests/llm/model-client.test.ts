import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/log.js";
import { createModelClient } from "../../shared/llm/model-client.js";
import type { ModelMessage, StreamEvent } from "../../shared/llm/model.js";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { waitFor } from "../sandbox/fixtures.js";
import { capturedLogger, elapsedSince, llmConfig, serveScript } from "./support.js";

const ask: ModelMessage[] = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Say hello." },
];

let server: ScriptedModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe("createModelClient against the scripted OpenAI-compatible server", () => {
  it("completes a chat and returns the reply's token usage and finish reason", async () => {
    server = await serveScript("hello.jsonl");
    const model = createModelClient(llmConfig(server.url, { model: "test-model" }), "chat", silentLogger);

    const reply = await model.complete(ask, { signal: AbortSignal.timeout(5000), maxTokens: 64, temperature: 0.2 });

    expect(model.model).toBe("test-model");
    expect(reply).toEqual({ text: "Hello from the scripted model.", usage: { promptTokens: 12, completionTokens: 7 }, finishReason: "stop" });
    const [sent] = server.requests();
    expect(sent?.body).toMatchObject({ model: "test-model", messages: ask, max_tokens: 64, temperature: 0.2 });
    expect(sent?.body).not.toHaveProperty("response_format");
  });

  it("streams text as it arrives, then the whole reply with usage from the final usage chunk", async () => {
    server = await serveScript("hello.jsonl");
    const model = createModelClient(llmConfig(server.url), "chat", silentLogger);
    await model.complete(ask, { signal: AbortSignal.timeout(5000) });

    const events: StreamEvent[] = [];
    for await (const event of model.stream(ask, { signal: AbortSignal.timeout(5000) })) events.push(event);

    const texts = events.flatMap((e) => (e.type === "text" ? [e.text] : []));
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.join("")).toBe("Streaming one word at a time.");
    expect(events.at(-1)).toEqual({
      type: "done",
      reply: { text: "Streaming one word at a time.", usage: { promptTokens: 20, completionTokens: 6 }, finishReason: "stop" },
    });
    expect(server.requests()[1]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("retries 429s with growing backoff, logging each failed attempt, then succeeds", async () => {
    server = await serveScript("rate-limited-twice.jsonl");
    const { logger, lines } = capturedLogger();
    const model = createModelClient(llmConfig(server.url, { maxRetries: 3 }), "planner", logger);

    const started = Date.now();
    const reply = await model.complete(ask, { signal: AbortSignal.timeout(10_000), logger: logger.child({ jobId: "job-1" }) });
    const elapsed = elapsedSince(started);

    expect(reply.text).toBe("Third time lucky.");
    const times = server.requests().map((r) => Date.parse(r.at));
    expect(times).toHaveLength(3);
    const [first, second, third] = times as [number, number, number];
    // The SDK waits 0.5 s then 1 s, each less up to 25 % jitter: backoff happened, grew and stayed bounded.
    expect(second - first).toBeGreaterThanOrEqual(350);
    expect(third - second).toBeGreaterThanOrEqual(700);
    expect(third - second).toBeGreaterThan(second - first);
    expect(elapsed).toBeLessThan(3000);

    const warnings = lines().filter((l) => l.level === 40);
    expect(warnings.map((w) => [w.status, w.attempt, w.maxAttempts, w.jobId])).toEqual([
      [429, 1, 4, "job-1"],
      [429, 2, 4, "job-1"],
    ]);
    const done = lines().find((l) => l.msg === "model replied");
    expect(done).toMatchObject({ attempts: 3, promptTokens: 5, completionTokens: 3, role: "planner", jobId: "job-1" });
  });

  it("gives up on a failing endpoint after the configured retries with a clear Unavailable error", async () => {
    server = await serveScript("always-500.jsonl");
    const model = createModelClient(llmConfig(server.url, { maxRetries: 2 }), "agent", silentLogger);

    const error = await rejection(model.complete(ask, { signal: AbortSignal.timeout(10_000) }));

    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain(`${server.url} (agent role, model scripted) answered 500: model backend crashed`);
    expect(error.rawMessage).toContain("gave up after 3 attempts");
    expect(server.requests()).toHaveLength(3);
    expect(server.remaining()).toBe(0);
  });

  it("times out a silent endpoint with DeadlineExceeded naming the setting to raise", async () => {
    server = await serveScript("slow.jsonl");
    const model = createModelClient(llmConfig(server.url, { timeoutSeconds: 1, maxRetries: 0 }), "planner", silentLogger);

    const started = Date.now();
    const error = await rejection(model.complete(ask, { signal: AbortSignal.timeout(10_000) }));
    const elapsed = elapsedSince(started);

    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(error.rawMessage).toContain("did not answer within 1s (1 attempt)");
    expect(error.rawMessage).toContain("PUSHPALS_LLM_TIMEOUT_SECONDS");
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2500);
  });

  it("stops at once when the caller aborts while waiting for a reply", async () => {
    server = await serveScript("slow.jsonl");
    const model = createModelClient(llmConfig(server.url), "agent", silentLogger);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);

    const started = Date.now();
    const error = await rejection(model.complete(ask, { signal: controller.signal }));

    expect(error.code).toBe(Code.Canceled);
    expect(elapsedSince(started)).toBeLessThan(1000);
  });

  it("stops at once when the caller aborts during the backoff between retries", async () => {
    server = await serveScript("rate-limited-twice.jsonl");
    const model = createModelClient(llmConfig(server.url, { maxRetries: 3 }), "agent", silentLogger);
    const controller = new AbortController();
    const calling = rejection(model.complete(ask, { signal: controller.signal }));
    // Abort once the first 429 is in: the client is then in its first backoff (at least 375 ms).
    await waitFor("the first request to reach the server", () => server!.requests().length === 1, 10_000);
    const abortedAt = performance.now();
    controller.abort();
    const error = await calling;

    expect(error.code).toBe(Code.Canceled);
    // Measured from the abort, not from a timer that load can delay: the call must not sit the backoff out.
    expect(performance.now() - abortedAt).toBeLessThan(350);
    expect(server.requests()).toHaveLength(1);
  });

  it("fails an already-aborted call without sending anything", async () => {
    server = await serveScript("hello.jsonl");
    const model = createModelClient(llmConfig(server.url), "chat", silentLogger);

    const error = await rejection(model.complete(ask, { signal: AbortSignal.abort() }));

    expect(error.code).toBe(Code.Canceled);
    expect(server.requests()).toHaveLength(0);
  });

  it("reports an unreachable endpoint as Unavailable naming the base-URL variables", async () => {
    server = await serveScript("hello.jsonl");
    const url = server.url;
    await server.close();
    server = undefined;
    const model = createModelClient(llmConfig(url), "planner", silentLogger);

    const error = await rejection(model.complete(ask, { signal: AbortSignal.timeout(5000) }));

    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain(`could not reach model endpoint ${url}`);
    expect(error.rawMessage).toContain("PUSHPALS_PLANNER_LLM_BASE_URL");
  });
});
