import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { runAgent } from "../../services/runner/agent/agent-loop.js";
import type { AgentConversation, PersonMessage } from "../../services/runner/agent/agent-types.js";
import { lastUserMessage, limits, recordingReporter, scene, scriptedModel, sentMessages, task, type Scene } from "./support.js";

let server: ScriptedModelServer | undefined;
let current: Scene | undefined;
afterEach(async () => {
  await server?.close();
  await current?.close();
  server = current = undefined;
});

const ASK = { content: 'THOUGHT: unclear.\n\n```bash\necho "PUSHPALS_ASK on or off?"\n```' };
const SUBMIT = { content: "THOUGHT: done.\n\n```bash\necho PUSHPALS_SUBMIT && echo 'as answered'\n```" };

/** The person, as the runner would relay them: answers once `answer` is called. */
function person() {
  const asked: { question: string; step: number }[] = [];
  let reply: ((message: PersonMessage) => void) | undefined;
  const conversation: AgentConversation = {
    take: () => [],
    isPaused: () => false,
    waitWhilePaused: async () => ({ finish: false, author: "" }),
    ask: (question, step, signal) =>
      new Promise<PersonMessage>((resolve, reject) => {
        asked.push({ question, step });
        reply = resolve;
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
  };
  return { conversation, asked, answer: (text: string) => reply?.({ kind: "answer", text, author: "dana" }) };
}

describe("PUSHPALS_ASK: the agent asks the person", () => {
  it("waits for the answer with its wall clock stopped, then sends the answer in the next prompt", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([ASK, { ...SUBMIT, match: { role: "user", contains: "Off, always." } }]));
    const them = person();
    const wallTimeMs = 1500;
    const running = runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Add a flag."),
      limits: limits({ wallTimeMs }),
      signal: AbortSignal.timeout(20_000),
      reporter: recordingReporter().reporter,
      conversation: them.conversation,
    });
    // Answered only after the whole wall time has gone by: a clock that ran on would have stopped the run.
    const answered = new Promise<void>((resolve) => setTimeout(() => resolve(them.answer("Off, always.")), wallTimeMs + 700));
    const outcome = await running;
    await answered;

    expect(them.asked).toEqual([{ question: "on or off?", step: 1 }]);
    expect(outcome).toMatchObject({ status: "submitted", summary: "as answered", steps: 2 });
    const next = lastUserMessage(sentMessages(server)[1]!);
    expect(next).toContain("dana answered your question (on or off?)");
    expect(next).toContain("Off, always.");
    expect(outcome.trajectory.steps[0]).toMatchObject({ asked: "on or off?" });
  });

  it("with nobody to ask, tells the agent to decide itself", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([ASK, { ...SUBMIT, match: { role: "user", contains: "No person can answer questions" } }]));
    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Add a flag."),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recordingReporter().reporter,
    });
    expect(outcome).toMatchObject({ status: "submitted", steps: 2 });
  });

  it("a cancel while it waits ends the run at once as cancelled", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([ASK]));
    const them = person();
    const cancel = new AbortController();
    const running = runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Add a flag."),
      limits: limits(),
      signal: cancel.signal,
      reporter: recordingReporter().reporter,
      conversation: them.conversation,
    });
    const asking = (async () => {
      while (them.asked.length === 0) await new Promise((resolve) => setImmediate(resolve));
      cancel.abort();
    })();
    const outcome = await running;
    await asking;
    expect(outcome).toMatchObject({ status: "failed", reason: "cancelled", steps: 1 });
  });

  it("a paused run waits before its next model call; resumed with finish, it submits what is in the worktree", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([{ content: "THOUGHT: write it.\n\n```bash\necho person > NOTE.txt\n```" }]));
    let resume: ((end: { finish: boolean; author: string }) => void) | undefined;
    let paused = true;
    const conversation: AgentConversation = {
      take: () => [{ kind: "follow_up", text: "stop there, I take over", author: "erin" }],
      isPaused: () => paused,
      waitWhilePaused: () => new Promise((resolve) => (resume = resolve)),
      ask: () => Promise.reject(new Error("not asked in this test")),
    };
    const running = runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Write a note."),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recordingReporter().reporter,
      conversation,
    });
    while (!resume) await new Promise((r) => setImmediate(r));
    // Paused before the first step: the model has not been called.
    expect(server.requests()).toHaveLength(0);
    paused = false;
    resume({ finish: true, author: "erin" });
    const outcome = await running;
    expect(outcome).toMatchObject({ status: "submitted", summary: "finished by erin with what is in the worktree", steps: 0 });
    expect(server.requests()).toHaveLength(0);
  });
});
