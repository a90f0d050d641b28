import { timestampMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { eventsOf, loggedEvent } from "./support/audit-log.js";
import { runCli, type CliRun } from "./support/cli-process.js";
import { startOwnNatsServer, type OwnNatsServer } from "./support/nats-server.js";
import { AGENT_PROMPT, expectOneMerge, modelCalled } from "./support/one-merge.js";
import { meshChildPid } from "./support/processes.js";
import { useSystemUnderTest } from "./support/use-system-under-test.js";

describe("faults in mesh mode: the bus and the control plane restarting (each ends with exactly one merged commit)", () => {
  let nats: OwnNatsServer | undefined;
  let cli: CliRun | undefined;
  // Registered before the system's hook, so it runs after the system has stopped.
  afterEach(async () => {
    cli?.kill();
    await nats?.stop();
    nats = cli = undefined;
  });
  const sut = useSystemUnderTest();

  it("NATS stopped while the job runs and started again on the same port: claimers poll, streams catch up from the store, the work merges once", async () => {
    nats = await startOwnNatsServer();
    const system = await sut.start({ script: "nats-restart.jsonl", natsUrl: nats.url, leaseSeconds: 10 });
    const { clients } = system;
    const { session } = await clients.sessions.createSession({ title: "e2e nats restart" });
    const sessionId = session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 60_000 });
    await clients.chat.send({ sessionId, text: "fix the failing test", author: "e2e" });

    await modelCalled(system, AGENT_PROMPT);
    await nats.stop();
    const stoppedAt = Date.now();
    // With the bus gone nobody is woken on enqueue: integration must find the completion by its poll.
    const claimed = await loggedEvent(clients, sessionId, "completionClaimed", 30_000);
    await nats.start();
    const restartedAt = Date.now();
    await work.merged;

    const { log } = await expectOneMerge(system, sessionId, "nats-restart");
    const claimedAt = timestampMs(claimed.time!);
    expect(claimedAt).toBeGreaterThan(stoppedAt);
    expect(claimedAt).toBeLessThan(restartedAt);
    const duringOutage = log.filter((e) => timestampMs(e.time!) > stoppedAt && timestampMs(e.time!) < restartedAt);
    expect(eventsOf(duringOutage, "agentStep").length, "the job went on while NATS was down").toBeGreaterThan(0);
    // The stream opened before the outage delivered every event once, in order, across it.
    expect(work.streamed.map((e) => e.seq)).toEqual(log.slice(0, work.streamed.length).map((e) => e.seq));
    expect(system.model.remaining()).toBe(0);
  }, 90_000);

  it("the control plane killed (kill -9) mid-job and restarted by the tree on its port: the services and a following `pushpals chat --wait` ride it out", async () => {
    // Leases outlive a control-plane restart (as they should in production), so riding it out is the expected outcome.
    const system = await sut.start({ script: "control-plane-restart.jsonl", leaseSeconds: 10 });
    const { clients, url, dataDir } = system;
    const { session } = await clients.sessions.createSession({ title: "e2e control plane restart" });
    const sessionId = session!.id;
    const work = sut.follow(sessionId, { timeoutMs: 60_000 });
    cli = runCli(["chat", "-m", "fix the failing test", "--wait", "--json", "--timeout", "60s", "--session", sessionId, "--server", url]);

    await modelCalled(system, AGENT_PROMPT);
    const others = ["chat", "planner", "runner", "integration"] as const;
    const pidsBefore = await Promise.all(others.map((name) => meshChildPid(name, dataDir)));
    const controlPlane = await meshChildPid("sessions", dataDir);
    process.kill(controlPlane, "SIGKILL");
    const restarted = await meshChildPid("sessions", dataDir, 20_000, controlPlane);
    expect(restarted).not.toBe(controlPlane);
    await work.merged;

    const { code, json, stderr } = await cli.exited;
    expect(code, stderr).toBe(0);
    // With --json, stdout holds only JSON; the notice that it reconnected goes to stderr.
    expect(stderr, "the client noticed the restart and reconnected").toMatch(/lost the connection to the server; reconnecting/);
    expect(json.at(-1)).toMatchObject({ outcome: { status: "merged", exitCode: 0 } });
    const { log, job } = await expectOneMerge(system, sessionId, "control-plane-restart");
    expect(job.attempts, "the runner kept its job through the restart").toBe(1);
    expect(await Promise.all(others.map((name) => meshChildPid(name, dataDir))), "no other service restarted").toEqual(pidsBefore);
    expect(work.streamed.map((e) => e.seq)).toEqual(log.slice(0, work.streamed.length).map((e) => e.seq));
    // The client's own stream: every event about its work, once each, in log order.
    const printed = json.flatMap((line) => (line.event ? [BigInt((line.event as { seq: string }).seq)] : []));
    expect(printed.length).toBeGreaterThan(0);
    expect(printed).toEqual([...printed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(printed).size).toBe(printed.length);
    expect(system.model.remaining()).toBe(0);
  }, 90_000);
});
