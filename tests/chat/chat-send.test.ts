import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { durationMs } from "../../shared/time.js";
import { eventsOf, scene, sentMessages, sessionEvents, type Scene } from "../planner/support.js";
import { EventSchema } from "../../gen/pushpals/v1/events_pb.js";
import { ErrorCode, JobStage, MessageSource, ModelRole } from "../../gen/pushpals/v1/kinds_pb.js";

let current: Scene | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function requestsOf(s: Scene) {
  return (await s.cp.clients.queues.listItems({ queue: QueueName.REQUESTS, sessionId: s.sessionId })).items;
}

describe("ChatService.Send", () => {
  it("a status question is answered at once: no request, no model call", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, model, cp } = current;
    // Something to report: a pending request of this session and a running job.
    const queued = await services.chat.send({ sessionId, text: "Add a CONTRIBUTING.md", author: "ada" });
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: { kind: { case: "taskExecuteV2", value: { lane: 1, instruction: "echo build the docs" } } } });
    await cp.clients.queues.claim({ queue: QueueName.JOBS, workerId: "runner-7" });

    const sent = await services.chat.send({ sessionId, text: "What is running?", author: "ada" });

    expect(sent.request).toBeUndefined();
    expect(sent.reply?.source).toBe(MessageSource.CHAT);
    expect(sent.reply?.inReplyTo).toBe(sent.messageSeq);
    const text = sent.reply!.text;
    expect(text).toMatch(/^Running: 1 job\n {2}job_\w+ on runner-7 for \d+ s: echo build the docs/);
    expect(text).toContain(`request ${queued.request!.id}: waiting, next in line, planned in about 30 s`);
    expect(text).toMatch(/Queues: requests 1 waiting, 0 in progress; jobs 0 waiting, 1 in progress; completions 0 waiting, 0 in progress\. Workers online: 0\./);
    expect(text).toContain("Last merge: unknown (the integration service is not running here).");
    expect(model.requests()).toEqual([]);
    expect(await requestsOf(current)).toHaveLength(1);
    const events = await sessionEvents(cp.clients, sessionId);
    expect(eventsOf(events, "assistantMessage").at(-1)).toEqual(sent.reply);
  });

  it("help and /status need no model either", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, model } = current;
    const help = await services.chat.send({ sessionId, text: "help" });
    const status = await services.chat.send({ sessionId, text: "/status" });
    expect(help.reply?.text).toContain("/ask <question>");
    expect(status.reply?.text).toContain("Your requests: none waiting.");
    expect(model.requests()).toEqual([]);
    expect(await requestsOf(current)).toEqual([]);
  });

  it("anything else becomes a request: id, position and ETA in the response and in an assistant message", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, cp } = current;
    const first = await services.chat.send({ sessionId, text: "Add a CONTRIBUTING.md", author: "ada" });
    const second = await services.chat.send({ sessionId, text: "Rename greet to hello everywhere in the codebase, refactor all callers", author: "ada" });
    const third = await services.chat.send({ sessionId, text: "why does greet return hi?", author: "ada" });

    expect(first.request).toMatchObject({ status: ItemStatus.PENDING, priority: Priority.NORMAL, idempotencyKey: `chat:${sessionId}:${first.messageSeq}` });
    expect(first.request?.payload?.kind).toEqual(
      expect.objectContaining({ case: "request", value: expect.objectContaining({ text: "Add a CONTRIBUTING.md", messageSeq: first.messageSeq, origin: "chat" }) }),
    );
    expect(first.request?.position?.ahead).toBe(0);
    expect(durationMs(first.request?.position?.eta)).toBe(30_000);
    expect(second.request).toMatchObject({ priority: Priority.BACKGROUND, position: { ahead: 1 } });
    // Interactive goes ahead of both.
    expect(third.request).toMatchObject({ priority: Priority.INTERACTIVE, position: { ahead: 0 } });
    expect(first.reply).toBeUndefined();

    const acks = eventsOf(await sessionEvents(cp.clients, sessionId), "assistantMessage");
    expect(acks.map((a) => [a.inReplyTo, a.text])).toEqual([
      [first.messageSeq, `Queued as ${first.request!.id} (normal priority): next in line, planned in about 30 s. I will answer here once it is planned.`],
      [second.messageSeq, `Queued as ${second.request!.id} (background priority): 1 ahead of it, planned in about 1 min. I will answer here once it is planned.`],
      [third.messageSeq, `Queued as ${third.request!.id} (interactive priority): next in line, planned in about 30 s. I will answer here once it is planned.`],
    ]);
  });

  it("a Send retried with its idempotency key returns the same request: one message, one request, one answer", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, cp } = current;
    const ask = { sessionId, text: "Add a CONTRIBUTING.md", author: "ada", idempotencyKey: "send-1" };
    const first = await services.chat.send(ask);
    const retried = await services.chat.send(ask);

    expect(retried.request?.id).toBe(first.request?.id);
    expect(retried.messageSeq).toBe(first.messageSeq);
    expect(await requestsOf(current)).toHaveLength(1);
    const events = await sessionEvents(cp.clients, sessionId);
    expect(eventsOf(events, "message")).toEqual([expect.objectContaining({ text: ask.text, idempotencyKey: "send-1" })]);
    expect(eventsOf(events, "assistantMessage")).toHaveLength(1);

    // The same words under a new key (or none) are a new message: the text no longer decides.
    await services.chat.send({ ...ask, idempotencyKey: "send-2" });
    await services.chat.send({ ...ask, idempotencyKey: "" });
    expect(await requestsOf(current)).toHaveLength(3);
  });

  it("a used key with a different text or author is AlreadyExists, and records nothing", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, cp } = current;
    const first = await services.chat.send({ sessionId, text: "Add a CONTRIBUTING.md", author: "ada", idempotencyKey: "send-1" });
    for (const changed of [{ text: "Add a LICENSE" }, { author: "grace" }]) {
      const refused = await services.chat.send({ sessionId, text: "Add a CONTRIBUTING.md", author: "ada", idempotencyKey: "send-1", ...changed }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ConnectError);
      expect(refused).toMatchObject({
        code: Code.AlreadyExists,
        rawMessage: expect.stringMatching(new RegExp(`idempotency_key "send-1" was already used .* \\(seq ${first.messageSeq}\\); send a new key`)),
      });
    }
    const events = await sessionEvents(cp.clients, sessionId);
    expect(eventsOf(events, "message")).toHaveLength(1);
    expect(await requestsOf(current)).toHaveLength(1);
  });

  it("a key longer than 200 characters is InvalidArgument naming the field", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId } = current;
    await expect(services.chat.send({ sessionId, text: "hi", idempotencyKey: "k".repeat(201) })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("idempotency_key: is 201 characters long"),
    });
  });

  it("a Send retried after the first recorded the message but died before queueing it queues that message once", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, cp } = current;
    // What the first Send left behind: the message with its key, nothing else.
    const { event } = await cp.clients.sessions.postMessage({ sessionId, text: "Add a CONTRIBUTING.md", author: "ada", idempotencyKey: "send-1" });

    const retried = await services.chat.send({ sessionId, text: "Add a CONTRIBUTING.md", author: "ada", idempotencyKey: "send-1" });

    expect(retried.messageSeq).toBe(event!.seq);
    expect(retried.request?.payload?.kind.value).toMatchObject({ messageSeq: event!.seq });
    const events = await sessionEvents(cp.clients, sessionId);
    expect(eventsOf(events, "message")).toHaveLength(1);
    expect(eventsOf(events, "assistantMessage").map((m) => m.inReplyTo)).toEqual([event!.seq]);
  });

  it("a keyed retry finds its message however far back in the session it is", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, cp } = current;
    const first = await services.chat.send({ sessionId, text: "help", idempotencyKey: "early" });
    // More events than one ListEvents page (1000) come after it.
    for (let i = 0; i < 11; i += 1) {
      const events = Array.from({ length: 100 }, () => create(EventSchema, { payload: { case: "jobProgress", value: { stage: JobStage.RUN } } }));
      await cp.clients.sessions.appendEvents({ sessionId, events });
    }
    const retried = await services.chat.send({ sessionId, text: "help", idempotencyKey: "early" });
    expect(retried.messageSeq).toBe(first.messageSeq);
    expect(retried.reply?.text).toBe(first.reply?.text);
    expect(eventsOf(await sessionEvents(cp.clients, sessionId), "message")).toHaveLength(1);
  });

  it("re-sending the words of a request that failed, under a new key, makes a new request", async () => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, cp } = current;
    const ask = { sessionId, text: "Add a CONTRIBUTING.md", author: "ada" };
    const first = await services.chat.send({ ...ask, idempotencyKey: "send-1" });
    const { leaseToken } = await cp.clients.queues.claim({ queue: QueueName.REQUESTS, workerId: "planner-x" });
    await cp.clients.queues.fail({ itemId: first.request!.id, leaseToken, error: "model down", mode: FailMode.FINAL });

    const again = await services.chat.send({ ...ask, idempotencyKey: "send-2" });

    expect(again.request?.id).not.toBe(first.request?.id);
    expect(again.messageSeq).toBeGreaterThan(first.messageSeq);
    expect(again.request?.status).toBe(ItemStatus.PENDING);
  });

  it("/ask is answered by the chat model as an assistant message, with no request", async () => {
    current = await scene({
      script: [{ content: "greet() returns the string 'hi'.", usage: { prompt_tokens: 50, completion_tokens: 9 }, match: { role: "user", contains: "what does greet return" } }],
    });
    const { services, sessionId, cp, model } = current;
    const sent = await services.chat.send({ sessionId, text: "/ask what does greet return?", author: "ada" });

    expect(sent.reply).toMatchObject({ text: "greet() returns the string 'hi'.", source: MessageSource.CHAT, inReplyTo: sent.messageSeq });
    expect(sent.request).toBeUndefined();
    expect(await requestsOf(current)).toEqual([]);
    const [messages] = sentMessages(model);
    expect(messages).toEqual([
      { role: "system", content: expect.stringContaining("A person asked you a question with /ask") },
      { role: "user", content: "what does greet return?" },
    ]);
    const events = await sessionEvents(cp.clients, sessionId);
    expect(eventsOf(events, "tokenUsage")).toEqual([expect.objectContaining({ role: ModelRole.CHAT, model: "scripted", promptTokens: 50n, completionTokens: 9n })]);
  });

  it("a re-sent /ask asks the model again (an answer is cheap, and the first may have failed)", async () => {
    current = await scene({ script: [{ status: 503, error: "loading model" }, { content: "It returns 'hi'." }] });
    const { services, sessionId, model } = current;
    const first = await services.chat.send({ sessionId, text: "/ask what does greet return?" });
    const second = await services.chat.send({ sessionId, text: "/ask what does greet return?" });
    expect(first.reply?.text).toMatch(/^I could not ask the model: model endpoint .* answered 503: loading model/);
    expect(second.reply?.text).toBe("It returns 'hi'.");
    expect(second.messageSeq).toBeGreaterThan(first.messageSeq);
    expect(model.requests()).toHaveLength(2);
  });

  it("/ask without a configured model answers with the variable to set", async () => {
    current = await scene({ script: [{ content: "never used" }], llm: { model: "" } });
    const sent = await current.services.chat.send({ sessionId: current.sessionId, text: "/ask anything?" });
    expect(sent.reply?.text).toMatch(/^I could not ask the model: no model configured for the chat role: set PUSHPALS_CHAT_LLM_MODEL or PUSHPALS_LLM_MODEL/);
    const events = await sessionEvents(current.cp.clients, current.sessionId);
    expect(eventsOf(events, "error")).toEqual([expect.objectContaining({ code: ErrorCode.FAILED_PRECONDITION })]);
    expect(current.model.requests()).toEqual([]);
  });

  it.each([
    [{ sessionId: "", text: "hi" }, Code.InvalidArgument, /^session_id: is required/],
    [{ sessionId: "ses_x", text: "hi" }, Code.InvalidArgument, /^session_id: must be a session id/],
    [{ text: "   " }, Code.InvalidArgument, /^text: is required/],
    [{ text: "a\0b" }, Code.InvalidArgument, /^text: contains a NUL character/],
    [{ text: "hi", author: "a".repeat(101) }, Code.InvalidArgument, /^author: is 101 characters long/],
    [{ text: "/deploy now" }, Code.InvalidArgument, /^text: \/deploy is not a command; the commands are \/help, \/status and \/ask <question>/],
    [{ text: "/ask   " }, Code.InvalidArgument, /^text: \/ask needs a question after it/],
    [{ sessionId: "ses_01JD0000000000000000000000", text: "hi" }, Code.NotFound, /session ses_01JD0000000000000000000000 not found/],
  ])("bad input %# is refused with the field named and nothing recorded", async (request, code, message) => {
    current = await scene({ script: [{ content: "never used" }] });
    const { services, sessionId, cp } = current;
    const before = (await cp.clients.sessions.getSession({ sessionId })).session!.lastSeq;
    await expect(services.chat.send({ sessionId, ...request })).rejects.toMatchObject({ code, rawMessage: expect.stringMatching(message) });
    expect((await cp.clients.sessions.getSession({ sessionId })).session!.lastSeq).toBe(before);
    expect(await requestsOf(current)).toEqual([]);
  });
});
