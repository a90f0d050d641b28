import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { jobWorktree } from "../../services/runner/workspace/paths.js";
import { git } from "../support/git.js";
import { eventsOf, readAuditLog } from "./support/audit-log.js";
import { AGENT_PROMPT, expectOneMerge, modelCalled, PLANNER_PROMPT } from "./support/one-merge.js";
import { meshChildPid } from "./support/processes.js";
import { useSystemUnderTest } from "./support/use-system-under-test.js";

describe("faults in mesh mode: a worker killed mid-work (each ends with exactly one merged commit)", () => {
  const sut = useSystemUnderTest();

  async function sendFix(script: string) {
    const system = await sut.start({ script });
    const { clients } = system;
    const { session } = await clients.sessions.createSession({ title: `e2e ${script}` });
    const sessionId = session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 60_000 });
    await clients.chat.send({ sessionId, text: "fix the failing test", author: "e2e" });
    return { system, clients, sessionId, work };
  }

  it("kill -9 of the runner while its job waits for the model: the lease expires, the restarted runner sweeps the orphan worktree and runs the job again, once", async () => {
    const { system, clients, sessionId, work } = await sendFix("runner-kill.jsonl");
    await modelCalled(system, AGENT_PROMPT);
    const [claim] = eventsOf(await readAuditLog(clients, sessionId), "jobClaimed");
    const firstWorker = claim!.payload.value.workerId;
    const orphan = jobWorktree(system.dataDir, firstWorker, claim!.itemId);
    expect(existsSync(orphan), "the job's worktree exists while it runs").toBe(true);
    const runner = await meshChildPid("runner", system.dataDir);
    expect(firstWorker, "the runner holding the job is the one killed").toMatch(new RegExp(`-${runner}$`));

    process.kill(runner, "SIGKILL");
    await work.merged;

    const { log, job } = await expectOneMerge(system, sessionId, "runner-kill");
    expect(job.attempts).toBe(2);
    const restarted = await meshChildPid("runner", system.dataDir);
    expect(restarted).not.toBe(runner);
    expect(eventsOf(log, "jobRequeued").map((e) => e.payload.value.attempt)).toEqual([1]);
    expect(eventsOf(log, "jobClaimed").map((e) => e.payload.value.workerId)).toEqual([firstWorker, expect.stringMatching(new RegExp(`-${restarted}$`))]);
    // The dead runner's worktree was swept by its successor, from disk and from git's list.
    expect(existsSync(orphan)).toBe(false);
    expect(await git(system.repo, "worktree", "list", "--porcelain")).not.toContain(orphan);
    expect(system.model.remaining()).toBe(0);
  }, 90_000);

  it("kill -9 of the planner while it waits for the model: the request's lease expires and it is planned once more, into exactly one job", async () => {
    const { system, clients, sessionId, work } = await sendFix("planner-kill.jsonl");
    await modelCalled(system, PLANNER_PROMPT);
    const planner = await meshChildPid("planner", system.dataDir);
    const [claim] = eventsOf(await readAuditLog(clients, sessionId), "requestClaimed");
    expect(claim!.payload.value.workerId, "the planner holding the request is the one killed").toContain(`.${planner}.`);

    process.kill(planner, "SIGKILL");
    await work.merged;

    const { log, request } = await expectOneMerge(system, sessionId, "planner-kill");
    expect(request.attempts).toBe(2);
    const restarted = await meshChildPid("planner", system.dataDir);
    expect(eventsOf(log, "requestRequeued").map((e) => e.payload.value.attempt)).toEqual([1]);
    expect(eventsOf(log, "requestClaimed").map((e) => e.payload.value.workerId)).toEqual([claim!.payload.value.workerId, expect.stringContaining(`.${restarted}.`)]);
    expect(system.model.remaining()).toBe(0);
  }, 90_000);
});
