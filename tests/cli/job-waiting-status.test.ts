import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobWaiting, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { git, initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { startChatControlPlane, type ChatControlPlane } from "./support/chat-control-plane.js";
import { runCli } from "./support/run-cli.js";
import { claim } from "./support/simulated-pipeline.js";

const job = (instruction: string) => create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction } } });

/**
 * Issue 13: a job that waits on a person says so in its runner's heartbeats, and the control
 * plane reports it: ListWorkers (per active job), GetItem (the claimed job) and `pushpals status`.
 */
describe("heartbeats say what a running job waits on", () => {
  let cp: ChatControlPlane;
  let repo: TempDir;
  const cli = (...args: string[]) => runCli(args, { cwd: repo.path, env: { PUSHPALS_SERVER_URL: cp.url, USER: "tester" } });
  const beat = (activeJobIds: string[], activeJobs: { jobId: string; waiting: JobWaiting }[]) =>
    cp.clients.execution.heartbeat({ workerId: "sim-runner", name: "sim", host: "here", drivers: ["process"], concurrency: 3, activeJobIds, activeJobs, version: "test" });

  beforeAll(async () => {
    repo = await tempDir("pushpals-waiting-repo-");
    await initRepo(repo.path);
    cp = await startChatControlPlane({ repo: await git(repo.path, "rev-parse", "--show-toplevel") });
  });
  afterAll(async () => {
    await cp?.stop();
    await repo?.remove();
  });

  it("waiting for an answer, for approval, paused, then working again: in ListWorkers, GetItem and pushpals status", async () => {
    const sessionId = (await cp.clients.sessions.createSession({ title: "waiting" })).session!.id;
    for (const instruction of ["ask", "approve", "pause", "work"]) await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job(instruction) });
    const [asking, approving, paused, working] = [
      await claim(cp.clients, QueueName.JOBS, "sim-runner"),
      await claim(cp.clients, QueueName.JOBS, "sim-runner"),
      await claim(cp.clients, QueueName.JOBS, "sim-runner"),
      await claim(cp.clients, QueueName.JOBS, "sim-runner"),
    ].map((claimed) => claimed.item.id);
    const ids = [asking!, approving!, paused!, working!];
    await beat(ids, [
      { jobId: asking!, waiting: JobWaiting.ANSWER },
      { jobId: approving!, waiting: JobWaiting.APPROVAL },
      { jobId: paused!, waiting: JobWaiting.PAUSED },
      // Not among the jobs it runs: ignored.
      { jobId: "job_01M8ZB25S8PD3APMY265AZ3RSE", waiting: JobWaiting.PAUSED },
    ]);

    const [worker] = (await cp.clients.execution.listWorkers({})).workers;
    expect(worker!.activeJobs.map((active) => [active.jobId, active.waiting])).toEqual([
      [asking, JobWaiting.ANSWER],
      [approving, JobWaiting.APPROVAL],
      [paused, JobWaiting.PAUSED],
      [working, JobWaiting.UNSPECIFIED],
    ]);
    const waitingOf = async (itemId: string) => (await cp.clients.queues.getItem({ itemId })).item!.waiting;
    expect(await waitingOf(asking!)).toBe(JobWaiting.ANSWER);
    expect(await waitingOf(approving!)).toBe(JobWaiting.APPROVAL);
    expect(await waitingOf(working!)).toBe(JobWaiting.UNSPECIFIED);

    const human = await cli("status");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^RUNNING JOB\s+WORKER\s+STATE/m);
    expect(human.stdout).toMatch(new RegExp(`^${asking}\\s+sim-runner\\s+waiting for an answer$`, "m"));
    expect(human.stdout).toMatch(new RegExp(`^${approving}\\s+sim-runner\\s+waiting for approval$`, "m"));
    expect(human.stdout).toMatch(new RegExp(`^${paused}\\s+sim-runner\\s+paused$`, "m"));
    expect(human.stdout).toMatch(new RegExp(`^${working}\\s+sim-runner\\s+working$`, "m"));
    const document = JSON.parse((await cli("status", "--json")).stdout) as { workers: { activeJobs: { jobId: string; waiting?: string }[] }[] };
    expect(document.workers[0]!.activeJobs[0]).toEqual({ jobId: asking, waiting: "JOB_WAITING_ANSWER" });

    // The answer came: the next heartbeat says it works again.
    await beat(ids, []);
    expect(await waitingOf(asking!)).toBe(JobWaiting.UNSPECIFIED);
    expect((await cli("status")).stdout).toMatch(new RegExp(`^${asking}\\s+sim-runner\\s+working$`, "m"));
  }, 60_000);

  it("a waiting state that is not one is an InvalidArgument naming the field", async () => {
    const error = await beat([], [{ jobId: "job_01M8ZB25S8PD3APMY265AZ3RSE", waiting: 42 as JobWaiting }]).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toBe(
      "active_jobs[0].waiting: must be one of JOB_WAITING_UNSPECIFIED, JOB_WAITING_APPROVAL, JOB_WAITING_ANSWER, JOB_WAITING_PAUSED (got 42)",
    );
  });
});
