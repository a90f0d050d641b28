import { describe, expect, it } from "vitest";
import { eventsOf, readAuditLog, stepsInOrder } from "./support/audit-log.js";
import { streamedEvent } from "./support/next-event.js";
import { expectOneMerge } from "./support/one-merge.js";
import { useSystemUnderTest } from "./support/use-system-under-test.js";

interface ChatBody {
  messages: { role: string; content: string }[];
}

/**
 * Issue 13, parts 3–5 on the embedded system with the scripted model: the agent asks (PUSHPALS_ASK),
 * the question reaches the session; a person pauses the job, answers, runs commands in its sandbox,
 * sends a follow-up and resumes it; the next model call carries the answer and the follow-up, and
 * the job merges. Each scripted reply matches on the last user message, so the run only goes on
 * when the person's words really reached the model.
 */
describe("the person in the loop: a question, a pause with shell commands, a follow-up", () => {
  const sut = useSystemUnderTest();

  it("asks the session, takes the answer and the follow-up into the next prompt, runs the person's commands while paused, then merges", async () => {
    const system = await sut.start({ mode: "embedded", script: "person-in-the-loop.jsonl", leaseSeconds: 10 });
    const { clients, model } = system;
    const sessionId = (await clients.sessions.createSession({ title: "person in the loop" })).session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 90_000 });
    await clients.chat.send({ sessionId, text: "fix the failing test", author: "alice" });

    const question = await streamedEvent(clients, sessionId, "agentQuestion", 60_000);
    expect(question.payload.value.text).toBe("Should add() also accept numeric strings like '2'?");
    const jobId = question.itemId;
    // Nothing is answered that was not asked, and shell commands need a pause.
    await expect(clients.execution.runInJob({ jobId, command: "true", author: "alice" })).rejects.toThrow(/not paused; pause it first/);

    await clients.execution.pauseJob({ jobId, author: "alice", reason: "let me look first" });
    const answered = await clients.execution.answerQuestion({ jobId, text: "Numbers only, keep it simple.", author: "alice" });
    expect(answered.event?.payload.case).toBe("questionAnswered");
    await expect(clients.execution.answerQuestion({ jobId, text: "again", author: "alice" })).rejects.toThrow(/no open question/);

    const look = await clients.execution.runInJob({ jobId, command: "cat src/math.js && pwd", author: "alice" });
    expect(look.exitCode).toBe(0);
    expect(look.output).toContain("return a - b");
    const failing = await clients.execution.runInJob({ jobId, command: "node test.js", author: "alice" });
    expect(failing.exitCode).not.toBe(0);
    expect(failing.output).toContain("expected 5, got -1");

    // The model was not called while the job waited: the answer and follow-up go into one next call.
    const callsWhilePaused = model.requests().length;
    const followUp = await clients.execution.sendToJob({ jobId, text: "use the existing helper: only fix add() in src/math.js", author: "bob" });
    expect(followUp.event?.payload.case).toBe("jobFollowUp");
    await clients.execution.resumeJob({ jobId, author: "alice" });
    await work.merged;
    expect(model.remaining()).toBe(0);

    const agentCalls = model
      .requests()
      .slice(callsWhilePaused)
      .map((r) => (r.body as ChatBody).messages);
    const next = agentCalls[0]!;
    expect(next.at(-1)?.content).toContain("use the existing helper: only fix add() in src/math.js");
    expect(next.at(-1)?.content).toContain("bob");
    expect(next.at(-2)?.content).toContain("Numbers only, keep it simple.");
    expect(next.at(-2)?.content).toContain("alice answered your question");

    await expectOneMerge(system, sessionId, "person in the loop");
    const log = await readAuditLog(clients, sessionId);
    const [asked, paused, answer, command, result, , followed, resumed] = stepsInOrder(log, [
      "agentQuestion",
      "jobPaused",
      "questionAnswered",
      "shellCommand",
      "shellResult",
      "shellCommand",
      "jobFollowUp",
      "jobResumed",
      "jobCompleted",
      "completionCompleted",
    ]);
    expect(paused!.payload.case === "jobPaused" && paused!.payload.value.author).toBe("alice");
    expect(answer!.payload.case === "questionAnswered" && answer!.payload.value).toMatchObject({ author: "alice", questionSeq: asked!.seq, text: "Numbers only, keep it simple." });
    expect(command!.payload.case === "shellCommand" && command!.payload.value).toMatchObject({ author: "alice", command: "cat src/math.js && pwd" });
    expect(result!.payload.case === "shellResult" && result!.payload.value.exitCode).toBe(0);
    expect(followed!.payload.case === "jobFollowUp" && followed!.payload.value.author).toBe("bob");
    expect(resumed!.payload.case === "jobResumed" && resumed!.payload.value).toMatchObject({ author: "alice", finish: false });
    for (const event of [asked, paused, answer, command, result, followed, resumed]) expect(event!.itemId).toBe(jobId);

    // The trajectory keeps the person's words where the model saw them.
    const artifacts = (await clients.execution.listArtifacts({ jobId })).artifacts;
    const trajectoryId = artifacts.find((a) => a.name === "trajectory.json")!.id;
    const trajectory = new TextDecoder().decode((await clients.execution.getArtifact({ artifactId: trajectoryId })).artifact!.content);
    expect(trajectory).toContain("use the existing helper");
    expect(trajectory).toContain("Numbers only, keep it simple.");
    expect(eventsOf(log, "agentStep")[0]?.payload.value.command).toContain("PUSHPALS_ASK");
  }, 120_000);
});
