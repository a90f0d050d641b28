import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import { durationFromMs } from "../../shared/time.js";
import { planSchema } from "../../services/planner/plan-schema.js";
import { toPlanMessage } from "../../services/planner/plan-message.js";
import { eventsOf, finished, jobsOf, scene, sentMessages, sessionEvents, waitForItem, type Scene } from "./support.js";
import { ErrorCode } from "../../gen/pushpals/v1/kinds_pb.js";

let current: Scene | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function enqueueRequest(s: Scene, text = "Make greet take a name"): Promise<string> {
  const { item } = await s.cp.clients.queues.enqueue({
    queue: QueueName.REQUESTS,
    sessionId: s.sessionId,
    priority: Priority.NORMAL,
    payload: { kind: { case: "request", value: { text, origin: "api" } } },
  });
  return item!.id;
}

const huge = `{"intent": "code_change", "assistant_message": "${"x".repeat(1024 * 1024)}"}`;

describe("planner: bad model output ends with a clear reason", () => {
  it.each<[string, ScriptedReplyInput, RegExp]>([
    ["empty", { content: "" }, /the reply was empty/],
    ["not JSON", { content: "Sure! I would start by reading greet.ts and then edit it." }, /the reply contains no JSON object/],
    ["1 MB long", { content: huge }, /assistant_message[\s\S]*too big|Too big[\s\S]*assistant_message/i],
  ])("%s, twice → the request fails, the person is told, no job", async (_, reply, reason) => {
    current = await scene({ script: [reply, reply] });
    const requestId = await enqueueRequest(current);
    current.startPlanner();
    const request = await waitForItem(current.cp.clients, requestId, finished);

    expect(request.status).toBe(ItemStatus.FAILED);
    expect(request.lastError).toContain("the model did not produce a valid plan in 2 tries");
    expect(request.lastError).toMatch(reason);
    // Whatever the model sent, what is stored and sent back stays small.
    expect(request.lastError.length).toBeLessThan(5000);
    const repair = sentMessages(current.model)[1]!;
    expect(JSON.stringify(repair).length).toBeLessThan(30_000);
    expect(repair.at(-1)!.content).toMatch(reason);
    expect(await jobsOf(current.cp.clients, current.sessionId)).toEqual([]);
    const told = eventsOf(await sessionEvents(current.cp.clients, current.sessionId), "assistantMessage");
    expect(told.map((m) => m.text)).toEqual([expect.stringMatching(/^I could not plan this request: the model did not produce a valid plan/)]);
  });

  it("a model that is not configured fails the request at once with the variable to set, without a request to any endpoint", async () => {
    current = await scene({ script: [{ content: "unused" }], llm: { model: "" } });
    const requestId = await enqueueRequest(current);
    const started = Date.now();
    current.startPlanner();
    const request = await waitForItem(current.cp.clients, requestId, finished);

    expect(Date.now() - started).toBeLessThan(5000);
    expect(request.status).toBe(ItemStatus.FAILED);
    expect(request.attempts).toBe(1);
    expect(request.lastError).toMatch(/no model configured for the planner role: set PUSHPALS_PLANNER_LLM_MODEL or PUSHPALS_LLM_MODEL/);
    expect(current.model.requests()).toEqual([]);
    const events = await sessionEvents(current.cp.clients, current.sessionId);
    expect(eventsOf(events, "assistantMessage")[0]?.text).toContain("set PUSHPALS_PLANNER_LLM_MODEL");
    expect(eventsOf(events, "error")).toEqual([expect.objectContaining({ code: ErrorCode.FAILED_PRECONDITION })]);
  });

  it("a model endpoint failing for a while puts the request back; the next attempt plans it once", async () => {
    current = await scene({ script: [{ status: 503, error: "overloaded" }, { content: validPlanJson() }] });
    const requestId = await enqueueRequest(current);
    current.startPlanner();
    const request = await waitForItem(current.cp.clients, requestId, finished);

    expect(request.status).toBe(ItemStatus.COMPLETED);
    expect(request.attempts).toBe(2);
    expect(await jobsOf(current.cp.clients, current.sessionId)).toHaveLength(1);
    const events = await sessionEvents(current.cp.clients, current.sessionId);
    expect(eventsOf(events, "requestRequeued")).toEqual([expect.objectContaining({ error: expect.stringContaining("answered 503: overloaded") })]);
    expect(eventsOf(events, "error")).toEqual([expect.objectContaining({ code: ErrorCode.UNAVAILABLE, hint: expect.stringContaining("tries again") })]);
  });

  it("a model endpoint down for every attempt dead-letters the request and tells the person once", async () => {
    const down = { status: 503, error: "overloaded" } as const;
    current = await scene({ script: [down, down, down] });
    const requestId = await enqueueRequest(current);
    current.startPlanner();
    const request = await waitForItem(current.cp.clients, requestId, finished);

    expect(request).toMatchObject({ status: ItemStatus.DEAD_LETTER, attempts: 3 });
    const events = await sessionEvents(current.cp.clients, current.sessionId);
    expect(eventsOf(events, "error")).toHaveLength(3);
    const told = eventsOf(events, "assistantMessage");
    expect(told).toHaveLength(1);
    expect(told[0]!.text).toMatch(/^I gave up on this request after 3 attempts: model endpoint .* answered 503: overloaded/);
  });
});

describe("planner: crashes and cancels", () => {
  it.each(["sqlite", "postgres"] as const)("on %s: a planner killed mid-call leaves the request to its lease; after expiry it is planned exactly once", async (store) => {
    current = await scene({ script: "plan-after-crash.jsonl", planner: { leaseMs: 1500 }, controlPlane: { store } });
    const { cp, sessionId, model } = current;
    const requestId = await enqueueRequest(current);
    const first = current.startPlanner({ workerId: "planner-one" });
    await until(() => model.requests().length === 1);
    await first.stop();

    // The killed planner said nothing and released nothing: the request is still held.
    const held = await cp.clients.queues.getItem({ itemId: requestId });
    expect(held.item).toMatchObject({ status: ItemStatus.CLAIMED, claimedBy: "planner-one", attempts: 1 });

    current.startPlanner({ workerId: "planner-two" });
    const request = await waitForItem(cp.clients, requestId, finished);
    expect(request).toMatchObject({ status: ItemStatus.COMPLETED, attempts: 2, claimedBy: "planner-two" });
    const jobs = await jobsOf(cp.clients, sessionId);
    expect(jobs).toHaveLength(1);
    expect(request.result?.kind.value).toMatchObject({ jobIds: [jobs[0]!.id] });
    const events = await sessionEvents(cp.clients, sessionId);
    expect(eventsOf(events, "planCreated")).toHaveLength(1);
    expect(eventsOf(events, "requestRequeued")).toEqual([expect.objectContaining({ reason: expect.stringMatching(/lease/) })]);
  });

  it("a planner that died after recording the plan is finished by the next one without asking the model again", async () => {
    current = await scene({ script: [{ content: "a second model call would get this" }] });
    const { cp, sessionId, model } = current;
    const requestId = await enqueueRequest(current);
    // What a planner leaves behind when it dies between plan_created and the job's enqueue.
    const claimed = await cp.clients.queues.claim({ queue: QueueName.REQUESTS, workerId: "dead-planner", leaseDuration: durationFromMs(1000) });
    expect(claimed.item?.id).toBe(requestId);
    const plan = toPlanMessage(planSchema.parse(JSON.parse(validPlanJson())));
    await cp.clients.sessions.appendEvents({ sessionId, events: [{ itemId: requestId, payload: { case: "planCreated", value: { plan, modelCalls: 1 } } }] });

    current.startPlanner();
    const request = await waitForItem(cp.clients, requestId, finished);

    expect(request).toMatchObject({ status: ItemStatus.COMPLETED, attempts: 2 });
    expect(model.requests()).toEqual([]);
    const jobs = await jobsOf(cp.clients, sessionId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.payload?.kind.value).toMatchObject({ lane: Lane.DETERMINISTIC, instruction: "echo 'Usage: see docs' >> README.md", requestId });
    expect(request.result?.kind.value).toMatchObject({ jobIds: [jobs[0]!.id], plan });
  });

  it("a request cancelled while the model thinks is failed as cancelled, with no job", async () => {
    current = await scene({ script: [{ content: validPlanJson(), delay_ms: 20_000 }], planner: { leaseMs: 1200 } });
    const { cp, sessionId, model } = current;
    const requestId = await enqueueRequest(current);
    current.startPlanner();
    await until(() => model.requests().length === 1);
    await cp.clients.queues.cancel({ itemId: requestId, reason: "changed my mind" });
    const request = await waitForItem(cp.clients, requestId, finished, 5000);

    expect(request.status).toBe(ItemStatus.FAILED);
    expect(request.lastError).toBe("cancelled while planning");
    expect(await jobsOf(cp.clients, sessionId)).toEqual([]);
    const told = eventsOf(await sessionEvents(cp.clients, sessionId), "assistantMessage");
    expect(told.map((m) => m.text)).toEqual(["Stopped: this request was cancelled before it was planned."]);
  });
});

function validPlanJson(): string {
  return JSON.stringify({
    intent: "code_change",
    requires_worker: true,
    lane: "deterministic",
    risk: "low",
    scope: { read_anywhere: true, write_allowed: true, write_globs: ["README.md"], forbidden_globs: [], max_files_to_edit: 1 },
    acceptance_criteria: ["README.md ends with a Usage line"],
    validation_steps: ["grep -q Usage README.md"],
    assistant_message: "I will append a Usage line to README.md.",
    worker_instruction: "echo 'Usage: see docs' >> README.md",
  });
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
