import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { finished, jobsOf, scene, sentMessages, sessionEvents, waitForItem, type Scene } from "./support.js";

let current: Scene | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** Issue 13 part 3: the planner may answer an ambiguous ask with a clarifying question instead of a plan. */
describe("planner: a clarifying question instead of a plan", () => {
  it("asks the session, enqueues no job, and plans the answer with the question in view", async () => {
    current = await scene({ script: "plan-clarify.jsonl" });
    const { services, cp, sessionId, model } = current;
    current.startPlanner();
    const asked = await services.chat.send({ sessionId, text: "make greet better", author: "ada" });
    const first = await waitForItem(cp.clients, asked.request!.id, finished);

    expect(first.status).toBe(ItemStatus.COMPLETED);
    const result = first.result?.kind.case === "request" ? first.result.kind.value : undefined;
    expect(result).toMatchObject({ jobIds: [], plan: { requiresWorker: false, clarifyingQuestion: "Should greet() take a name, or return a longer greeting?" } });
    expect(await jobsOf(cp.clients, sessionId)).toEqual([]);
    const events = await sessionEvents(cp.clients, sessionId);
    const question = events.find((event) => event.payload.case === "question");
    expect(question?.payload.value).toMatchObject({ text: "Should greet() take a name, or return a longer greeting?" });
    expect(question?.itemId).toBe(first.id);
    const reply = events.findIndex((event) => event.payload.case === "assistantMessage");
    expect(reply).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(question!)).toBeGreaterThan(reply);

    const answered = await services.chat.send({ sessionId, text: "take a name", author: "ada" });
    const second = await waitForItem(cp.clients, answered.request!.id, finished);
    expect(second.status).toBe(ItemStatus.COMPLETED);
    const prompt = sentMessages(model)
      .at(-1)!
      .map((message) => message.content)
      .join("\n");
    expect(prompt).toContain("what better means here");
  });
});
