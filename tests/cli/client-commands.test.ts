import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus, LogStream, Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { git, initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { startChatControlPlane, type ChatControlPlane } from "./support/chat-control-plane.js";
import { runCli, startCli } from "./support/run-cli.js";
import { claim, runJob } from "./support/simulated-pipeline.js";
import { sessionFilePath } from "../../cli/client/session-file.js";

const job = (instruction: string) => create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction } } });
const request = (text: string) => create(ItemPayloadSchema, { kind: { case: "request", value: { text, origin: "api" } } });

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("pushpals status | jobs | logs | cancel | sessions", () => {
  let cp: ChatControlPlane;
  let repo: TempDir;
  let notRepo: TempDir;
  let env: Record<string, string>;
  let sessionId: string;
  const cli = (...args: string[]) => runCli(args, { cwd: repo.path, env });

  beforeAll(async () => {
    [repo, notRepo] = await Promise.all([tempDir("pushpals-cli-repo-"), tempDir("pushpals-cli-plain-")]);
    await initRepo(repo.path);
    cp = await startChatControlPlane({ repo: await git(repo.path, "rev-parse", "--show-toplevel") });
    env = { PUSHPALS_SERVER_URL: cp.url, USER: "tester" };
    sessionId = (await cp.clients.sessions.createSession({ title: "cli commands" })).session!.id;
  });
  afterAll(async () => {
    await cp?.stop();
    await Promise.all([repo?.remove(), notRepo?.remove()]);
  });

  it("status --json is one JSON document that reflects enqueued items with position and ETA; cancel takes them out", async () => {
    const { item: first } = await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("echo one") });
    const { item: second } = await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("echo two"), priority: Priority.BACKGROUND });
    const { item: asked } = await cp.clients.queues.enqueue({ queue: QueueName.REQUESTS, sessionId, payload: request("tidy up") });

    const result = await cli("status", "--json");
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as {
      server: string;
      status: { store: string; queues: { queue: string; pendingNormal?: number; pendingBackground?: number }[] };
      pending: { id: string; status: string; position: { ahead?: number; eta?: string } }[];
      workers: unknown[];
    };
    expect(document.server).toBe(cp.url);
    expect(document.status.store).toBe("STORE_KIND_SQLITE");
    expect(document.status.queues.find((queue) => queue.queue === "QUEUE_NAME_JOBS")).toMatchObject({ pendingNormal: 1, pendingBackground: 1 });
    const byId = new Map(document.pending.map((item) => [item.id, item]));
    expect([...byId.keys()].sort()).toEqual([first!.id, second!.id, asked!.id].sort());
    expect(byId.get(first!.id)?.position.ahead ?? 0).toBe(0);
    expect(byId.get(second!.id)?.position.ahead).toBe(1);
    expect(byId.get(second!.id)?.position.eta).toMatch(/^\d+(\.\d+)?s$/);

    const human = await cli("status");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^QUEUE\s+WAITING\s+RUNNING/m);
    expect(human.stdout).toMatch(/^jobs\s+2\s+0\s+0/m);
    expect(human.stdout).toMatch(new RegExp(`^${second!.id}\\s+jobs\\s+background\\s+1\\s+~`, "m"));

    for (const item of [first!, second!, asked!]) {
      const cancelled = await cli("cancel", item.id, "--reason", "not needed");
      expect(cancelled).toMatchObject({ code: 0, stdout: `${item.id} cancelled` });
      expect((await cp.clients.queues.getItem({ itemId: item.id })).item?.status).toBe(ItemStatus.CANCELLED);
    }
    const after = JSON.parse((await cli("status", "--json")).stdout) as { pending: unknown[] };
    expect(after.pending).toEqual([]);
  });

  it("cancel of a running job asks its worker to stop; of a finished one fails with why", async () => {
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("sleep 60") });
    const running = await claim(cp.clients, QueueName.JOBS, "sim-runner");
    const asked = await cli("cancel", running.item.id);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toBe(`${running.item.id} cancel requested: it is running on sim-runner, which stops it at its next heartbeat`);
    expect((await cp.clients.queues.renewLease({ itemId: running.item.id, leaseToken: running.leaseToken })).cancelRequested).toBe(true);
    await cp.clients.queues.fail({ itemId: running.item.id, leaseToken: running.leaseToken, error: "cancelled by request", mode: FailMode.FINAL });

    const again = await cli("cancel", running.item.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`pushpals cancel: cannot cancel ${running.item.id}: it already finished (failed); nothing is running to stop\n`);
    expect((await cli("cancel", "job_123")).code).toBe(2);
  });

  it("jobs lists recent jobs with status, worker and result; --status filters; --json parses", async () => {
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("make it") });
    const done = await runJob(cp.clients);
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("break it") });
    const failed = await runJob(cp.clients, { failWith: "lint: 2 errors" });

    const table = await cli("jobs");
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.split("\n");
    expect(header).toMatch(/^JOB\s+STATUS\s+WORKER\s+AGE\s+RAN\s+RESULT$/);
    expect(rows[0]).toMatch(new RegExp(`^${failed.job.id}\\s+failed\\s+sim-runner\\s+\\S+\\s+\\S+\\s+lint: 2 errors$`));
    expect(rows[1]).toMatch(new RegExp(`^${done.job.id}\\s+completed\\s+sim-runner\\s+.*c0ffee0000 \\(1 file\\) agent/sim-runner/${done.job.id}$`));

    const onlyFailed = JSON.parse((await cli("jobs", "--status", "failed,dead-letter", "--json")).stdout) as { items: { id: string; status: string }[] };
    expect(onlyFailed.items.map((item) => item.id)).toContain(failed.job.id);
    expect(onlyFailed.items.every((item) => item.status === "ITEM_STATUS_FAILED")).toBe(true);
    const bad = await cli("jobs", "--status", "exploded");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"exploded" is not a status; use pending, claimed, completed/);
  });

  it("logs -f prints each line as the job writes it, then exits 0 when the job completes", async () => {
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("build") });
    const running = await claim(cp.clients, QueueName.JOBS, "sim-runner");
    const write = (text: string, stream = LogStream.STDOUT) =>
      cp.clients.execution.appendJobLogs({ jobId: running.item.id, leaseToken: running.leaseToken, lines: [{ stream, text }] });
    await write("compiling");
    const follow = startCli(["logs", running.item.id, "-f"], { cwd: repo.path, env });
    await follow.waitForLine(/^compiling$/);
    for (const text of ["linking", "testing"]) {
      await write(text);
      // Each line shows up while the job still runs: the CLI streams, it does not wait for the end.
      await follow.waitForLine(new RegExp(`^${text}$`));
      expect(follow.child.exitCode).toBeNull();
    }
    await write("sandbox: done", LogStream.SYSTEM);
    await follow.waitForLine(/^» sandbox: done$/);
    await cp.clients.queues.complete({ itemId: running.item.id, leaseToken: running.leaseToken, result: { kind: { case: "job", value: {} } } });
    const result = await follow.exited;
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")).toEqual(["compiling", "linking", "testing", "» sandbox: done"]);
    expect(result.stderr).toBe(`job ${running.item.id} completed\n`);

    const json = await cli("logs", running.item.id, "--json");
    const objects = json.stdout.split("\n").map((line) => JSON.parse(line) as { line?: { line: string; text: string }; finishedStatus?: string });
    expect(objects.map((object) => object.line?.text ?? object.finishedStatus)).toEqual(["compiling", "linking", "testing", "sandbox: done", "ITEM_STATUS_COMPLETED"]);
    expect(objects[0]?.line?.line).toBe("1");
  });

  it("logs -f exits 1 when the job fails; logs without -f prints what exists and exits 0", async () => {
    await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("flaky") });
    const running = await claim(cp.clients, QueueName.JOBS, "sim-runner");
    await cp.clients.execution.appendJobLogs({ jobId: running.item.id, leaseToken: running.leaseToken, lines: [{ text: "about to fail" }] });
    const snapshot = await cli("logs", running.item.id);
    expect(snapshot).toMatchObject({ code: 0, stdout: "about to fail" });
    const follow = startCli(["logs", running.item.id, "--follow"], { cwd: repo.path, env });
    await follow.waitForLine(/^about to fail$/);
    await cp.clients.queues.fail({ itemId: running.item.id, leaseToken: running.leaseToken, error: "boom", mode: FailMode.FINAL });
    const result = await follow.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`job ${running.item.id} failed\n`);
    const missing = await cli("logs", "job_01JD0000000000000000000000");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("pushpals logs: job job_01JD0000000000000000000000 not found; list jobs to see the ids that exist\n");
  });

  it("sessions lists sessions and marks the one chat uses in this repository", async () => {
    const sent = await cli("chat", "-m", "hello");
    expect(sent.code).toBe(0);
    const sessionOfRepo = (await readFile(sessionFilePath(repo.path, { ...process.env, ...env }), "utf8")).trim();
    // The remembered session lives in the repository's data dir, not in the checkout.
    expect(existsSync(join(repo.path, ".pushpals"))).toBe(false);
    expect(await git(repo.path, "status", "--porcelain")).toBe("");

    const listed = await cli("sessions");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^\\*\\s+${sessionOfRepo}\\s+pushpals-cli-repo-\\w+\\s+\\d+`, "m"));
    expect(listed.stdout).toMatch(new RegExp(`^\\s+${sessionId}\\s+cli commands`, "m"));
    const json = JSON.parse((await cli("sessions", "--json")).stdout) as { sessions: { id: string }[] };
    expect(json.sessions.map((session) => session.id)).toEqual(expect.arrayContaining([sessionOfRepo, sessionId]));

    const again = await cli("chat", "-m", "hello again");
    expect(again.code).toBe(0);
    expect(cp.sent.slice(-2).map((message) => message.sessionId)).toEqual([sessionOfRepo, sessionOfRepo]);
  });

  it("an unreachable server is one clear line and exit 3", async () => {
    const port = await closedPort();
    for (const [args, envOverride] of [
      [["status", "--server", `http://127.0.0.1:${port}`], {}],
      [["jobs"], { PUSHPALS_SERVER_URL: `http://127.0.0.1:${port}` }],
      [["chat", "-m", "hi", "--wait"], { PUSHPALS_SERVER_URL: "", PUSHPALS_PORT: String(port) }],
    ] as const) {
      const result = await runCli([...args], { cwd: repo.path, env: { ...env, ...envOverride } });
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toBe(
        `pushpals ${args[0]}: cannot reach the PushPals server at http://127.0.0.1:${port}: start it with \`pushpals up\` in your repository, ` +
          "or point at a running one with --server URL or PUSHPALS_SERVER_URL\n",
      );
    }
  });

  it("outside a git repository chat says so and touches nothing", async () => {
    const result = await runCli(["chat", "-m", "hi"], { cwd: notRepo.path, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^pushpals chat: \S+ is not a git repository: run PushPals inside one, pass --repo <dir>, or create one with `git init`; or pick a session with --session ID\n$/,
    );
    expect(existsSync(join(notRepo.path, ".pushpals"))).toBe(false);
    const sessions = await cp.clients.sessions.listSessions({});
    expect(sessions.sessions.some((session) => session.title.startsWith("pushpals-cli-plain-"))).toBe(false);
  });

  it("bad flags and arguments exit 2 with what is wrong", async () => {
    const cases: [string[], RegExp][] = [
      [["jobs", "--bogus"], /^pushpals jobs: Unknown option '--bogus'; see --help\n$/],
      [["logs", "not-a-job"], /"not-a-job" is not a job id/],
      [["logs"], /expected 1 argument\(s\), got 0/],
      [["chat", "--wait"], /--wait, --timeout and --json go with a message \(TEXT or -m TEXT\)/],
      [["chat", "-m", "x", "also", "this"], /give the message once: as -m TEXT or as the words after chat, not both \(got -m and "also this"\)/],
      [["chat", "  "], /the message is empty/],
      [["chat", "-m", "x", "--wait", "--timeout", "soon"], /--timeout: "soon" is not a duration/],
      [["chat", "--session", "ses_nope", "-m", "x"], /--session: "ses_nope" is not a session id/],
      [["status", "--server", "ftp://example"], /--server: "ftp:\/\/example" must start with http:\/\/ or https:\/\//],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe("the client against a server that requires a token", () => {
  let cp: ChatControlPlane;
  beforeAll(async () => {
    cp = await startChatControlPlane({ authToken: "s3cret-token-s3cret-token" });
  });
  afterAll(() => cp?.stop());

  it("reads and changes state only with PUSHPALS_AUTH_TOKEN, and says so when it is missing", async () => {
    const sessionId = (await cp.clients.sessions.createSession({ title: "token" })).session!.id;
    const { item } = await cp.clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("echo guarded") });
    const unreadable = await runCli(["status", "--json", "--server", cp.url]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/needs the header .*PUSHPALS_AUTH_TOKEN/);
    expect((await runCli(["status", "--json", "--server", cp.url], { env: { PUSHPALS_AUTH_TOKEN: "s3cret-token-s3cret-token" } })).code).toBe(0);

    const refused = await runCli(["cancel", item!.id, "--server", cp.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^pushpals cancel: pushpals\.v1\.QueueService\/Cancel needs the header .*PUSHPALS_AUTH_TOKEN/);
    expect((await cp.clients.queues.getItem({ itemId: item!.id })).item?.status).toBe(ItemStatus.PENDING);

    const allowed = await runCli(["cancel", item!.id, "--server", cp.url], { env: { PUSHPALS_AUTH_TOKEN: "s3cret-token-s3cret-token" } });
    expect(allowed).toMatchObject({ code: 0, stdout: `${item!.id} cancelled` });
  });
});
