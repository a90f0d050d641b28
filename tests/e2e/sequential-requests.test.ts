import { afterEach, describe, expect, it } from "vitest";
import { git } from "../support/git.js";
import { eventsOf, readAuditLog } from "./support/audit-log.js";
import { followWork, type FollowedWork } from "./support/follow-work.js";
import { startSystem, type SystemUnderTest } from "./support/system-under-test.js";

/**
 * Two requests editing the same line, the second sent once the first merged: the second job
 * starts from the integration branch (which holds the first change), so its change merges
 * without a conflict (from the base branch, the two edits of one line would conflict).
 */
describe("sequential requests build on each other", () => {
  let system: SystemUnderTest | undefined;
  const works: FollowedWork[] = [];
  afterEach(async () => {
    for (const work of works.splice(0)) work.close();
    await system?.stop();
    system = undefined;
  });

  it("merges two edits of the same line in turn, the second job starting from the integration branch", async () => {
    system = await startSystem({ mode: "embedded", script: "same-line-twice.jsonl", leaseSeconds: 10 });
    const { clients, repo } = system;
    const ask = async (text: string) => {
      const sessionId = (await clients.sessions.createSession({ title: text })).session!.id;
      const work = followWork(clients, sessionId, { timeoutMs: 60_000, describe: () => system!.logTail() });
      works.push(work);
      await clients.chat.send({ sessionId, text, author: "e2e" });
      await work.merged;
      return sessionId;
    };
    await ask("make add() add");
    const afterFirst = await git(repo, "rev-parse", "main_agents");
    const second = await ask("swap the operands");

    expect(await git(repo, "show", "main_agents:src/math.js")).toContain("  return b + a;");
    const log = await readAuditLog(clients, second);
    expect(eventsOf(log, "jobProgress").map((e) => e.payload.value.detail)).toEqual(
      expect.arrayContaining([expect.stringContaining(`from main_agents at ${afterFirst.slice(0, 12)} (the integration branch contains main`)]),
    );
    // No conflict on the way: no repair job, and the merge's steps name none.
    const steps = eventsOf(log, "integrationStep").map((e) => JSON.stringify(e.payload.value, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value)));
    expect(steps.filter((step) => /conflict/i.test(step))).toEqual([]);
    expect(eventsOf(log, "jobEnqueued")).toHaveLength(1);
  }, 120_000);
});
