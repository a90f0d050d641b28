import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { Intent, Lane, Risk, TaskExecuteV2Schema } from "../../gen/pushpals/v1/task_pb.js";
import { durationFromMs } from "../../shared/time.js";
import { writeFiles } from "../support/git.js";
import { eventsOf, finished, jobsOf, scene, sentMessages, sessionEvents, waitForItem, type Scene } from "./support.js";
import { ErrorCode, MessageSource, ModelRole } from "../../gen/pushpals/v1/kinds_pb.js";

let current: Scene | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** The planning the fixture plan-valid.jsonl describes, as the contract's message. */
const expectedPlanning = {
  intent: Intent.CODE_CHANGE,
  risk: Risk.LOW,
  scope: { readAnywhere: true, writeAllowed: true, writeGlobs: ["src/**", "tests/**"], forbiddenGlobs: [".github/**"], maxFilesToEdit: 4 },
  acceptanceCriteria: ['greet() takes a name and returns "hi <name>"', "a test covers greet()"],
  validationSteps: ["npm test"],
  budgets: {
    queueWait: durationFromMs(600_000),
    execution: durationFromMs(900_000),
    finalization: durationFromMs(300_000),
    maxSteps: 30,
    maxTokens: 200_000n,
  },
};
const instruction = "Change greet() in src/greet.ts to take a name and return `hi ${name}`; add a test for it.";

describe("planner: a request becomes a job", () => {
  it("a chat message is planned into a task.execute v2 job with exactly the plan's parameters", async () => {
    current = await scene({ script: "plan-valid.jsonl" });
    const { services, cp, sessionId, model } = current;
    await writeFiles(current.repo.path, { "NOTES.md": "uncommitted\n" });
    await services.chat.send({ sessionId, text: "what is running?", author: "ada" });
    const sent = await services.chat.send({ sessionId, text: "Make greet take a name and add a test", author: "ada" });
    const requestId = sent.request!.id;
    expect(sent.request?.priority).toBe(Priority.NORMAL);

    current.startPlanner();
    const request = await waitForItem(cp.clients, requestId, finished);

    expect(request.status).toBe(ItemStatus.COMPLETED);
    const jobs = await jobsOf(cp.clients, sessionId);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.payload?.kind.case).toBe("taskExecuteV2");
    expect(job.payload?.kind.value).toEqual(create(TaskExecuteV2Schema, { lane: Lane.WORKER, instruction, planning: expectedPlanning, baseRef: "", requestId }));
    expect(job).toMatchObject({ parentId: requestId, priority: Priority.NORMAL, idempotencyKey: `job:${requestId}`, sessionId });

    const result = request.result?.kind.case === "request" ? request.result.kind.value : undefined;
    expect(result?.jobIds).toEqual([job.id]);
    expect(result?.assistantMessage).toBe("I will change greet() to take a name and add a test for it.");
    expect(result?.plan).toMatchObject({ requiresWorker: true, lane: Lane.WORKER, workerInstruction: instruction, planning: expectedPlanning });

    const events = await sessionEvents(cp.clients, sessionId);
    expect(eventsOf(events, "planCreated")).toEqual([expect.objectContaining({ modelCalls: 1, plan: result?.plan })]);
    const answers = eventsOf(events, "assistantMessage").filter((m) => m.source === MessageSource.PLANNER);
    expect(answers).toEqual([expect.objectContaining({ text: result?.assistantMessage, inReplyTo: sent.messageSeq })]);
    expect(eventsOf(events, "tokenUsage")).toEqual([expect.objectContaining({ role: ModelRole.PLANNER, model: "scripted", promptTokens: 900n, completionTokens: 120n })]);

    // The prompt carried the repository and the conversation.
    const [messages] = sentMessages(model);
    const prompt = messages!.at(-1)!.content;
    expect(messages![0]!.content).toContain("You are the planner of PushPals");
    expect(prompt).toContain("Make greet take a name and add a test");
    expect(prompt).toContain("src/greet.ts");
    expect(prompt).toContain("?? NOTES.md");
    expect(prompt).toMatch(/person \(ada\): what is running\?\n\[\d+\] pushpals \(chat\): Running: nothing\./);
    expect(prompt).not.toContain("{{");
    expect((model.requests()[0]!.body as { response_format: { type: string } }).response_format.type).toBe("json_schema");
  });

  it("a plan that needs no job completes the request with the answer and enqueues nothing", async () => {
    current = await scene({ script: "plan-answer-only.jsonl" });
    const { cp, sessionId } = current;
    const { item } = await cp.clients.queues.enqueue({
      queue: QueueName.REQUESTS,
      sessionId,
      priority: Priority.INTERACTIVE,
      payload: { kind: { case: "request", value: { text: "what does greet return?", origin: "api" } } },
    });
    current.startPlanner();
    const request = await waitForItem(cp.clients, item!.id, finished);

    expect(request.status).toBe(ItemStatus.COMPLETED);
    expect(request.result?.kind.value).toMatchObject({ jobIds: [], assistantMessage: "greet() returns the string 'hi'; nothing needs to change." });
    expect(await jobsOf(cp.clients, sessionId)).toEqual([]);
  });

  it("an invalid plan is repaired by one more call that carries the validation errors", async () => {
    current = await scene({ script: "plan-repaired.jsonl" });
    const { cp, sessionId, model } = current;
    const { item } = await cp.clients.queues.enqueue({
      queue: QueueName.REQUESTS,
      sessionId,
      priority: Priority.BACKGROUND,
      payload: { kind: { case: "request", value: { text: "Make greet take a name", origin: "api" } } },
    });
    current.startPlanner();
    const request = await waitForItem(cp.clients, item!.id, finished);

    expect(request.status).toBe(ItemStatus.COMPLETED);
    const conversations = sentMessages(model);
    expect(conversations).toHaveLength(2);
    const repair = conversations[1]!;
    expect(repair.slice(0, 2)).toEqual(conversations[0]);
    expect(repair[2]).toMatchObject({ role: "assistant", content: expect.stringContaining('"lane": "robot"') });
    expect(repair[3]!.role).toBe("user");
    expect(repair[3]!.content).toContain("Your plan could not be used");
    expect(repair[3]!.content).toMatch(/expected one of "deterministic"\|"worker"[\s\S]*at lane/);
    expect(repair[3]!.content).toMatch(/must say what the job does when requires_worker is true[\s\S]*at worker_instruction/);

    const [job] = await jobsOf(cp.clients, sessionId);
    expect(job?.priority).toBe(Priority.BACKGROUND);
    const events = await sessionEvents(cp.clients, sessionId);
    expect(eventsOf(events, "planCreated").map((p) => p.modelCalls)).toEqual([2]);
    expect(eventsOf(events, "tokenUsage").map((u) => [u.promptTokens, u.completionTokens])).toEqual([
      [800n, 100n],
      [1000n, 120n],
    ]);
  });

  it("a plan still invalid after the repair fails the request with the reason, tells the person, and enqueues no job", async () => {
    current = await scene({ script: "plan-invalid-twice.jsonl" });
    const { services, cp, sessionId, model } = current;
    const sent = await services.chat.send({ sessionId, text: "Make greet take a name", author: "ada" });
    current.startPlanner();
    const request = await waitForItem(cp.clients, sent.request!.id, finished);

    expect(request.status).toBe(ItemStatus.FAILED);
    expect(request.lastError).toContain("the model did not produce a valid plan in 2 tries");
    expect(request.lastError).toContain("must be relative to the repository root");
    expect(request.lastError).toMatch(/extra_field/);
    expect(model.requests()).toHaveLength(2);
    expect(await jobsOf(cp.clients, sessionId)).toEqual([]);

    const events = await sessionEvents(cp.clients, sessionId);
    const told = eventsOf(events, "assistantMessage").filter((m) => m.source === MessageSource.PLANNER);
    expect(told).toHaveLength(1);
    expect(told[0]!.inReplyTo).toBe(sent.messageSeq);
    expect(told[0]!.text).toContain("I could not plan this request: the model did not produce a valid plan");
    expect(told[0]!.text).toContain("What to do: send the request again in other words");
    expect(eventsOf(events, "error")).toEqual([expect.objectContaining({ code: ErrorCode.FAILED_PRECONDITION, message: request.lastError })]);
    expect(eventsOf(events, "planCreated")).toEqual([]);
  });
});
