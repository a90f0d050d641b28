import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Intent, Lane } from "../../gen/pushpals/v1/task_pb.js";
import { scene, sentMessages, type Scene } from "./support.js";

let current: Scene | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function queuesAreEmpty(s: Scene): Promise<boolean> {
  const { items } = await s.cp.clients.queues.listItems({});
  return items.length === 0;
}

describe("PlanningService.Plan (dry run)", () => {
  it("returns the validated plan and the model calls it took, and enqueues and records nothing", async () => {
    current = await scene({ script: "plan-repaired.jsonl" });
    const { services, cp, sessionId, model } = current;
    await cp.clients.sessions.postMessage({ sessionId, text: "earlier: greet is in src/", author: "ada" });
    const before = (await cp.clients.sessions.getSession({ sessionId })).session!.lastSeq;

    const { plan, modelCalls } = await services.planning.plan({ text: "Make greet take a name", sessionId });

    expect(modelCalls).toBe(2);
    expect(plan).toMatchObject({ requiresWorker: true, lane: Lane.WORKER, planning: { intent: Intent.CODE_CHANGE } });
    expect(plan?.workerInstruction).toContain("src/greet.ts");
    expect(await queuesAreEmpty(current)).toBe(true);
    expect((await cp.clients.sessions.getSession({ sessionId })).session!.lastSeq).toBe(before);
    expect(sentMessages(model)[0]!.at(-1)!.content).toContain("person (ada): earlier: greet is in src/");
  });

  it("a plan invalid twice is the call's error, with the reason", async () => {
    current = await scene({ script: "plan-invalid-twice.jsonl" });
    const error = await current.services.planning.plan({ text: "Make greet take a name" }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((error as ConnectError).rawMessage).toMatch(/did not produce a valid plan in 2 tries[\s\S]*must be relative to the repository root/);
    expect(await queuesAreEmpty(current)).toBe(true);
  });

  it("an unconfigured model is the call's error, naming the variable to set", async () => {
    current = await scene({ script: [{ content: "unused" }], llm: { model: "" } });
    await expect(current.services.planning.plan({ text: "anything" })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringContaining("PUSHPALS_PLANNER_LLM_MODEL"),
    });
    expect(current.model.requests()).toEqual([]);
  });

  it.each([
    [{ text: "" }, /^text: is required/],
    [{ text: "x".repeat(64 * 1024 + 1) }, /^text: is 65537 characters long/],
    [{ text: "ok", sessionId: "not-a-session" }, /^session_id: must be empty or a session id/],
  ])("bad input %# is InvalidArgument naming the field, before any model call", async (request, message) => {
    current = await scene({ script: [{ content: "unused" }] });
    await expect(current.services.planning.plan(request)).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(message) });
    expect(current.model.requests()).toEqual([]);
  });

  it("an unknown session is NotFound", async () => {
    current = await scene({ script: [{ content: "unused" }] });
    await expect(current.services.planning.plan({ text: "ok", sessionId: "ses_01JD0000000000000000000000" })).rejects.toMatchObject({ code: Code.NotFound });
    expect(current.model.requests()).toEqual([]);
  });
});
