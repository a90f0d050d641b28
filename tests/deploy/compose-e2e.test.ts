import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../../cli/free-port.js";
import { createDemoProject } from "../../cli/demo/demo-project.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { createClients } from "../../shared/clients.js";
import { waitForServices } from "../../shared/service-readiness.js";
import { eventsOf, readAuditLog } from "../e2e/support/audit-log.js";
import { followWork, type FollowedWork } from "../e2e/support/follow-work.js";
import { AGENT_PROMPT } from "../e2e/support/one-merge.js";
import { commitsOnIntegrationBranch, jobTrailers, testOnRemoteBranch } from "../e2e/support/remote-branch.js";
import { E2E_SCRIPTS } from "../e2e/support/system-under-test.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { composeRequirement, containerState, prepareStack, projectContainers, type Stack, startEngineSocket } from "./support/compose-stack.js";
import { buildComposeSandbox, buildImages, buildStandIns, podmanCode, podmanRequirement } from "./support/images.js";

const run = promisify(execFile);
const requirements = [await podmanRequirement(), await composeRequirement()];
const requirement = {
  name: requirements.map((r) => r.name).join(" + "),
  available: requirements.every((r) => r.available),
  howToGet: requirements.map((r) => r.howToGet).join("; "),
};
const TOKEN = "compose-e2e-token-0123456789abcdef";

// Short leases, so the killed runner's job is taken again within seconds; the project's check is its test.
const LOCAL_TOML = `
[server]
keepalive_seconds = 2
[queues]
default_lease_seconds = 5
poll_seconds = 0.5
backoff_base_seconds = 0.2
backoff_max_seconds = 1
[runner]
lease_seconds = 5
heartbeat_seconds = 0.5
[integration]
lease_seconds = 5
checks = [{ name = "test", command = "node test.js", timeout_seconds = 60 }]
`;

describeIfAvailable("deploy/compose end to end: podman-compose up, a chat message merged and pushed, the runner container killed mid-job, down", requirement, () => {
  let dir: TempDir;
  let engine: Awaited<ReturnType<typeof startEngineSocket>> | undefined;
  let model: ScriptedModelServer | undefined;
  let stack: Stack | undefined;
  let work: FollowedWork | undefined;
  const project = `pushpals-e2e-${process.pid}`;

  beforeAll(async () => {
    // Shared with images.test.ts and kube-play.test.ts through the build lock: cached layers, seconds.
    await buildImages();
    await buildStandIns();
    await buildComposeSandbox();
    dir = await tempDir("pushpals-compose-e2e-");
  }, 25 * 60_000);

  afterAll(async () => {
    work?.close();
    if (stack && (await projectContainers(project)).length > 0) await stack.compose(["down", "-v"]);
    // podman-compose 1.0.3's down leaves the project's network behind.
    await podmanCode(["network", "rm", "--force", `${project}_default`]);
    await model?.close();
    await engine?.stop();
    await dir?.remove();
  }, 180_000);

  it("merges and pushes exactly once to the bare remote mounted into the stack though the runner container is killed while its job waits for the model, then comes down cleanly", async () => {
    const started = Date.now();
    const { remote } = await createDemoProject(join(dir.path, "project"));
    // The services run as uid 1000 and push to the remote through the mount.
    await run("chown", ["-R", "1000:1000", remote]);
    engine = await startEngineSocket(join(dir.path, "engine"));
    // The containers reach the host on its podman address: the model listens on every address.
    model = await startScriptedModelServer({ script: join(E2E_SCRIPTS, "runner-kill.jsonl"), host: "0.0.0.0" });
    const modelPort = new URL(model.url).port;
    stack = await prepareStack({
      project,
      dir: dir.path,
      remoteDir: join(dir.path, "project"),
      repositoryUrl: "/remote/origin.git",
      engineSocket: engine.socket,
      publishPort: await freePort(),
      modelUrl: `http://host.containers.internal:${modelPort}/v1`,
      token: TOKEN,
      localToml: LOCAL_TOML,
    });
    const up = await stack.compose(["up", "-d"]);
    expect(up.code, up.output.slice(-3000)).toBe(0);
    const stackUp = Date.now();

    // podman runs no health checks without systemd, so podman-compose starts everything at once:
    // the services retry the store, the bus and the control plane until each answers.
    const clients = createClients(stack.url, { token: TOKEN });
    await waitForServices(clients, { timeoutMs: 120_000, intervalMs: 500 }).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await stack!.logs()}`);
    });
    const ready = Date.now();

    const { session } = await clients.sessions.createSession({ title: "compose e2e" });
    const sessionId = session!.id;
    work = followWork(clients, sessionId, { timeoutMs: 150_000, describe: () => stack!.logs() });
    const sent = await clients.chat.send({ sessionId, text: "fix the failing test", author: "e2e" });
    expect(sent.request?.id).toMatch(/^req_/);

    // The first agent turn's reply is delayed 30 s: the runner holds the job, waiting for the model.
    const deadline = Date.now() + 60_000;
    while (!model.requests().some((request) => JSON.stringify(request.body).includes(AGENT_PROMPT))) {
      if (Date.now() > deadline) throw new Error(`the agent never asked the model\n${await stack.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [claim] = eventsOf(await readAuditLog(clients, sessionId), "jobClaimed");
    const runner = stack.container("runner");
    const before = await containerState(runner);
    expect(before.running).toBe(true);
    // Its init process killed from the host, as a crash or the OOM killer would: after `podman kill`
    // podman counts the container as stopped by the user and `restart: unless-stopped` leaves it down.
    process.kill(before.pid, "SIGKILL");

    const merged = await work.merged;
    const mergedAt = Date.now();
    const after = await containerState(runner);
    expect(after.running, "restart: unless-stopped brought the runner back").toBe(true);
    expect(after.pid).not.toBe(before.pid);

    const items = async (queue: QueueName) => (await clients.queues.listItems({ queue, sessionId })).items;
    const [requests, jobs, completions] = await Promise.all([items(QueueName.REQUESTS), items(QueueName.JOBS), items(QueueName.COMPLETIONS)]);
    expect(requests.map((r) => r.status)).toEqual([ItemStatus.COMPLETED]);
    expect(jobs.map((j) => [j.status, j.attempts])).toEqual([[ItemStatus.COMPLETED, 2]]);
    expect(completions.map((c) => c.status)).toEqual([ItemStatus.COMPLETED]);
    const log = await readAuditLog(clients, sessionId);
    expect(eventsOf(log, "jobRequeued").map((e) => e.payload.value.attempt)).toEqual([1]);
    // Claimed twice: by the killed runner, then by the same container restarted (a new process;
    // the worker id, hostname and pid, may well be the same again).
    expect(eventsOf(log, "jobClaimed").map((e) => e.payload.value.workerId)).toEqual([claim!.payload.value.workerId, expect.any(String)]);
    expect(eventsOf(log, "completionCompleted"), "one merge").toHaveLength(1);
    const result = merged.payload.case === "completionCompleted" ? merged.payload.value.result?.kind : undefined;
    expect(result?.case === "completion" ? result.value : undefined).toMatchObject({ pushed: true, alreadyMerged: false });
    expect(model.remaining(), "every scripted reply was used").toBe(0);

    const down = await stack.compose(["down", "-v"]);
    expect(down.code, down.output.slice(-3000)).toBe(0);
    expect(await projectContainers(project), "down removed every container").toEqual([]);
    const downAt = Date.now();

    // The bare remote on this machine: exactly one commit on main_agents, the job's, whose test passes.
    await run("chown", ["-R", "0:0", remote]);
    const commits = await commitsOnIntegrationBranch(remote);
    expect(commits).toHaveLength(1);
    expect(jobTrailers(commits[0]!.message)).toEqual([jobs[0]!.id]);
    expect(result?.case === "completion" ? result.value.mergedSha : undefined).toBe(commits[0]!.sha);
    const test = await testOnRemoteBranch(remote, dir.path, "check");
    expect(test.output).toContain("ok add(2, 3) = 5");
    console.log(`compose e2e: up ${stackUp - started} ms, services ready +${ready - stackUp} ms, merged +${mergedAt - ready} ms (with the kill), down ${downAt - mergedAt} ms`);
  }, 420_000);
});
