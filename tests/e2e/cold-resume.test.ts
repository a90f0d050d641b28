import { describe, expect, it } from "vitest";
import { JobWaiting } from "../../gen/pushpals/v1/common_pb.js";
import { git } from "../support/git.js";
import { eventsOf, readAuditLog, stepsInOrder } from "./support/audit-log.js";
import { streamedEvent } from "./support/next-event.js";
import { expectOneMerge } from "./support/one-merge.js";
import { meshChildPid } from "./support/processes.js";
import { useSystemUnderTest } from "./support/use-system-under-test.js";

interface ChatBody {
  messages: { role: string; content: string }[];
}

const QUESTION = "Should add() also accept numeric strings like '2'?";
const ANSWER = "Numbers only, keep it simple.";

/**
 * Issue 13, cold resume: the runner process dies (kill -9) while its job waits for the person's
 * answer. The job's lease runs out and the restarted runner takes it again; that attempt starts
 * from the first one's checkpoint (the fix it made before asking) and with the question and the
 * answer in its first prompt. The scripted model enforces both: its reply to the retry matches
 * only on the answer, and the retry's one command is the test, which passes only with the fix.
 */
describe("cold resume: a runner killed while its job waits on the person", () => {
  const sut = useSystemUnderTest();

  it("kill -9 while waiting for an answer, answer, the next attempt starts from the checkpoint with the conversation, merges once", async () => {
    const system = await sut.start({ script: "cold-resume.jsonl" });
    const { clients, model } = system;
    const sessionId = (await clients.sessions.createSession({ title: "cold resume" })).session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 90_000 });
    await clients.chat.send({ sessionId, text: "fix the failing test", author: "alice" });

    const question = await streamedEvent(clients, sessionId, "agentQuestion", 60_000);
    expect(question.payload.value.text).toBe(QUESTION);
    const jobId = question.itemId;
    // The first attempt checkpointed its fix before it began to wait.
    const checkpoint = await git(system.repo, "rev-parse", "--verify", `refs/pushpals/checkpoints/${jobId}`);
    expect(await git(system.repo, "show", `${checkpoint}:src/math.js`)).toContain("return a + b");

    // Its runner's heartbeat says what the job waits on.
    await expect.poll(async () => (await clients.queues.getItem({ itemId: jobId })).item?.waiting, { timeout: 5000, interval: 100 }).toBe(JobWaiting.ANSWER);
    const [worker] = (await clients.execution.listWorkers({})).workers.filter((w) => w.activeJobIds.includes(jobId));
    expect(worker?.activeJobs).toEqual([expect.objectContaining({ jobId, waiting: JobWaiting.ANSWER })]);

    const runner = await meshChildPid("runner", system.dataDir);
    process.kill(runner, "SIGKILL");
    const callsBefore = model.requests().length;
    const answered = await clients.execution.answerQuestion({ jobId, text: ANSWER, author: "alice" });
    expect(answered.event?.payload.case).toBe("questionAnswered");
    await work.merged;
    expect(model.remaining()).toBe(0);

    // The retried attempt's first model call carries the earlier question and its answer.
    const retried = model
      .requests()
      .slice(callsBefore)
      .map((request) => (request.body as ChatBody).messages);
    const first = retried[0]!.at(-1)!.content;
    expect(first).toContain("This job ran before and was interrupted");
    expect(first).toContain(`You asked the person: ${QUESTION}`);
    expect(first).toContain(`alice answered: ${ANSWER}`);

    const { log, job } = await expectOneMerge(system, sessionId, "cold resume");
    expect(job.attempts).toBe(2);
    const claims = eventsOf(log, "jobClaimed").map((event) => event.payload.value.workerId);
    expect(claims).toHaveLength(2);
    expect(claims[1]).not.toBe(claims[0]);
    stepsInOrder(log, ["agentQuestion", "jobRequeued", "jobClaimed", "jobCompleted"]);
    expect(eventsOf(log, "questionAnswered").map((event) => event.payload.value.author)).toEqual(["alice"]);
    // The job ended for good: its checkpoint is gone.
    await expect(git(system.repo, "rev-parse", "--verify", "--quiet", `refs/pushpals/checkpoints/${jobId}`)).rejects.toThrow();
  }, 120_000);
  it("paused and asked when the runner dies: the next attempt keeps both, runs shell commands on the restored work, then answer and resume merge once", async () => {
    const system = await sut.start({ script: "cold-resume.jsonl" });
    const { clients } = system;
    const sessionId = (await clients.sessions.createSession({ title: "cold resume paused" })).session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 120_000 });
    await clients.chat.send({ sessionId, text: "fix the failing test", author: "alice" });
    const jobId = (await streamedEvent(clients, sessionId, "agentQuestion", 60_000)).itemId;
    await clients.execution.pauseJob({ jobId, author: "carol", reason: "let me look" });
    const runner = await meshChildPid("runner", system.dataDir);
    process.kill(runner, "SIGKILL");

    // The next attempt's runner holds it, still paused, its question still open.
    await expect.poll(async () => eventsOf(await readAuditLog(clients, sessionId), "jobClaimed").length, { timeout: 60_000, interval: 250 }).toBe(2);
    await expect.poll(async () => (await clients.queues.getItem({ itemId: jobId })).item?.waiting, { timeout: 30_000, interval: 100 }).toBe(JobWaiting.ANSWER);
    // Its sandbox is a new one, on the first attempt's checkpointed fix.
    const look = await clients.execution.runInJob({ jobId, command: "cat src/math.js && node test.js", author: "carol" });
    expect(look.output).toContain("return a + b");
    expect(look.exitCode).toBe(0);

    await clients.execution.answerQuestion({ jobId, text: ANSWER, author: "alice" });
    // Answered, it still waits: the pause.
    await expect.poll(async () => (await clients.queues.getItem({ itemId: jobId })).item?.waiting, { timeout: 10_000, interval: 100 }).toBe(JobWaiting.PAUSED);
    await clients.execution.resumeJob({ jobId, author: "carol" });
    await work.merged;

    const { log, job } = await expectOneMerge(system, sessionId, "cold resume paused");
    expect(job.attempts).toBe(2);
    stepsInOrder(log, ["agentQuestion", "jobPaused", "jobRequeued", "jobClaimed", "shellCommand", "shellResult", "questionAnswered", "jobResumed", "jobCompleted"]);
    expect(system.model.remaining()).toBe(0);
  }, 150_000);
});
