import { describe, expect, it } from "vitest";
import { eventsOf } from "./support/audit-log.js";
import { expectOneMerge } from "./support/one-merge.js";
import { useSystemUnderTest } from "./support/use-system-under-test.js";

describe("the whole pipeline in mesh mode (every service its own process, Postgres + NATS)", () => {
  const sut = useSystemUnderTest();

  it("turns a chat message into one merged, pushed commit whose test passes, with every step in a gap-free audit log", async () => {
    // Leases long enough that a busy machine never lets one lapse: nothing here waits for an expiry.
    const system = await sut.start({ script: "fix-math.jsonl", leaseSeconds: 10 });
    const { clients } = system;
    const { session } = await clients.sessions.createSession({ title: "e2e mesh" });
    const sessionId = session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 60_000 });

    const sent = await clients.chat.send({ sessionId, text: "fix the failing test", author: "e2e" });
    expect(sent.request?.id, "the message became a request for the planner").toMatch(/^req_/);
    const merged = await work.merged;

    const { log, request, job, completion } = await expectOneMerge(system, sessionId, "pipeline");
    expect(request.id).toBe(sent.request!.id);
    expect([request.attempts, job.attempts, completion.attempts], "no fault, so nothing was retried").toEqual([1, 1, 1]);
    expect(eventsOf(log, "message")[0]!.payload.value).toMatchObject({ text: "fix the failing test", author: "e2e" });
    expect(eventsOf(log, "agentStep").map((e) => e.payload.value.command)).toEqual([
      "node test.js",
      "cat src/math.js",
      "sed -i 's/return a - b;/return a + b;/' src/math.js && node test.js",
      expect.stringContaining("PUSHPALS_SUBMIT"),
    ]);
    expect(eventsOf(log, "validationResult").map((e) => e.payload.value)).toEqual([expect.objectContaining({ command: "node test.js", passed: true })]);
    expect(eventsOf(log, "integrationStep").map((e) => e.payload.value.stage)).toEqual(expect.arrayContaining(["apply", "check", "push"]));
    // The live stream delivered the log up to the merge: the same events, once each, in order.
    expect(work.streamed.at(-1)!.seq).toBe(merged.seq);
    expect(work.streamed.map((e) => e.seq)).toEqual(log.slice(0, work.streamed.length).map((e) => e.seq));
    expect(system.model.remaining(), "every scripted reply was used").toBe(0);
    // The mesh's control plane (`pushpals serve sessions`) serves the web UI on its port too.
    const ui = await fetch(`${system.url}/chat/${sessionId}`);
    expect([ui.status, await ui.text()]).toEqual([200, expect.stringContaining('<div id="root">')]);
  }, 90_000);
});
