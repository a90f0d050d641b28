import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { retryingWorktreeRace } from "../../shared/worktree-race.js";
import { waitFor } from "../sandbox/fixtures.js";
import { git } from "../support/git.js";
import { eventsOf } from "./support/audit-log.js";
import { expectOneMerge } from "./support/one-merge.js";
import { useSystemUnderTest } from "./support/use-system-under-test.js";
import { BusKind, StoreKind } from "../../gen/pushpals/v1/kinds_pb.js";

const run = promisify(execFile);

/**
 * The planning-and-agent issue's whole path on the embedded default — SQLite, the
 * in-process bus, the bwrap sandbox — from the message "fix the failing test" to a
 * commit on agent/<worker>/<job> whose test passes and a completion for integration.
 */
describe("the whole path on the embedded default", () => {
  const sut = useSystemUnderTest();

  it("ends with a commit on agent/<worker>/<job> whose test passes, a completion enqueued, and every step as events in order", async () => {
    const system = await sut.start({ mode: "embedded", script: "fix-math.jsonl", leaseSeconds: 10 });
    const { clients } = system;
    const status = await clients.system.getSystemStatus({});
    expect([status.store, status.bus]).toEqual([StoreKind.SQLITE, BusKind.MEMORY]);
    const sessionId = (await clients.sessions.createSession({ title: "embedded whole path" })).session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 60_000 });
    await clients.chat.send({ sessionId, text: "fix the failing test", author: "e2e" });
    await work.merged;

    const { log, job, completion } = await expectOneMerge(system, sessionId, "embedded");
    // The job ran in a bwrap sandbox (the embedded default where bubblewrap is installed).
    expect(eventsOf(log, "jobProgress").map((e) => e.payload.value.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/bwrap sandbox/)]));

    // The job's commit was made on its own branch, which integration deletes once merged; the test passes on it.
    const payload = completion.payload?.kind.case === "completion" ? completion.payload.kind.value : undefined;
    expect(payload?.jobId).toBe(job.id);
    expect(payload?.branch).toMatch(new RegExp(`^agent/[a-z0-9][a-z0-9_.-]*/${job.id}$`));
    expect(await git(system.repo, "log", "-1", "--format=%B", payload!.sha)).toContain(`PushPals-Job: ${job.id}`);
    const { repo } = system;
    await waitFor("the merged job's branch to be deleted", async () => (await git(repo, "for-each-ref", `refs/heads/${payload!.branch}`)) === "", 15_000);
    const checkout = `${system.dir}/agent-branch`;
    // The runner's pool may be adding a spare worktree of this repository right now.
    await retryingWorktreeRace(() => git(repo, "worktree", "add", "--detach", checkout, payload!.sha));
    const test = await run(process.execPath, ["test.js"], { cwd: checkout });
    expect(test.stdout).toContain("ok add(2, 3) = 5");
    await retryingWorktreeRace(() => git(repo, "worktree", "remove", "--force", checkout));
  }, 90_000);
});
