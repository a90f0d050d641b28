import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { git, initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { HELP_REPLY, startChatControlPlane, type ChatControlPlane } from "./support/chat-control-plane.js";
import { runCli, startCli } from "./support/run-cli.js";
import { integrate, MERGED_SHA, planRequest, PR_URL, runJob } from "./support/simulated-pipeline.js";

// `pushpals chat -m … --wait` against a real control plane; the test plays planner,
// runner and integration over the queue RPCs while the compiled CLI follows along.
describe("pushpals chat -m --wait", () => {
  let cp: ChatControlPlane;
  let repo: TempDir;
  let env: Record<string, string>;
  const chat = (text: string, ...flags: string[]) => startCli(["chat", "-m", text, "--wait", ...flags], { cwd: repo.path, env });

  beforeAll(async () => {
    repo = await tempDir("pushpals-cli-repo-");
    await initRepo(repo.path);
    cp = await startChatControlPlane({ repo: await git(repo.path, "rev-parse", "--show-toplevel") });
    env = { PUSHPALS_SERVER_URL: cp.url, USER: "tester" };
  });
  afterAll(async () => {
    await cp?.stop();
    await repo?.remove();
  });

  it("a message chat answers itself exits 0 with the reply", async () => {
    const result = await chat("hello there").exited;
    expect(result.stderr).not.toMatch(/note:/);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(HELP_REPLY);
    expect(result.stdout).toMatch(/done: answered without work/);
    expect(cp.sent.at(-1)).toMatchObject({ text: "hello there", author: "tester" });
  });

  it("the words after chat are the message, as with -m", async () => {
    const result = await runCli(["chat", "hello", "from", "words", "--wait"], { cwd: repo.path, env });
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(HELP_REPLY);
    expect(cp.sent.at(-1)).toMatchObject({ text: "hello from words", author: "tester" });
  });

  it("request → job → completion → merged exits 0 and shows each step in order", async () => {
    const cli = chat("add a greeting to the README");
    await planRequest(cp.clients, { jobs: 1, say: "I will add a greeting." });
    const { completionId } = await runJob(cp.clients);
    await cli.waitForLine(/job job_\w+ done/);
    expect(cli.child.exitCode).toBeNull();
    await integrate(cp.clients);
    const result = await cli.exited;
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const order = [
      /request req_\w+ queued/,
      /pushpals› I will add a greeting\./,
      /job job_\w+ queued/,
      /step 1: \$ grep -rn TODO src/,
      /job job_\w+ done/,
      new RegExp(`${MERGED_SHA.slice(0, 10)} merged into main_agents`),
      /done: merged/,
    ];
    const positions = order.map(at);
    expect(
      positions.every((position) => position >= 0),
      `missing a line in:\n${result.stdout}`,
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(result.stdout).toContain(PR_URL);
    expect(result.stdout).toContain(completionId!);
  });

  it("a job that fails exits 1 with the reason", async () => {
    const cli = chat("break something");
    await planRequest(cp.clients, { jobs: 1 });
    const { job } = await runJob(cp.clients, { failWith: "validation failed: npm test exited 1" });
    const result = await cli.exited;
    expect(result.code).toBe(1);
    // The reason once: on the job's failed line; the last line only says how it ended.
    expect(result.stdout).toContain(`✗ job ${job.id} failed: validation failed: npm test exited 1`);
    expect(result.stderr).toContain(`pushpals chat: ${job.id} did not succeed (the reason is above)`);
    expect(`${result.stdout}\n${result.stderr}`.split("npm test exited 1")).toHaveLength(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a conflict is followed into its repair job; the repair's merge exits 0", async () => {
    const cli = chat("change a.ts");
    await planRequest(cp.clients, { jobs: 1 });
    await runJob(cp.clients);
    const { repairJobId } = await integrate(cp.clients, { conflict: true });
    await cli.waitForLine(/conflicted in src\/a\.ts; repair job/);
    expect(cli.child.exitCode).toBeNull();
    const repair = await runJob(cp.clients);
    expect(repair.job.id).toBe(repairJobId);
    await integrate(cp.clients);
    const result = await cli.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/done: merged/);
  });

  it("the planner answering without a job exits 0", async () => {
    const cli = chat("what does this repo do?");
    await planRequest(cp.clients, { jobs: 0, say: "It greets people." });
    const result = await cli.exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("pushpals› It greets people.");
    expect(result.stdout).toMatch(/answered without work/);
  });

  it("a question exits 1 saying PushPals needs an answer", async () => {
    const cli = chat("delete the old API");
    await planRequest(cp.clients, { jobs: 1 });
    const { job, leaseToken } = await runJob(cp.clients, { ask: "Remove /v1 endpoints too?" });
    const result = await cli.exited;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("? PushPals asks: Remove /v1 endpoints too? [yes / no]");
    expect(result.stderr).toMatch(/needs an answer.*Remove \/v1 endpoints too\?/);
    await cp.clients.queues.complete({ itemId: job.id, leaseToken, result: { kind: { case: "job", value: {} } } });
  });

  it("--json prints one JSON object per line: sent, events, outcome", async () => {
    const cli = chat("rename a variable", "--json");
    await planRequest(cp.clients, { jobs: 1 });
    await runJob(cp.clients);
    await integrate(cp.clients);
    const result = await cli.exited;
    expect(result.code).toBe(0);
    const objects = result.stdout.split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(objects[0]!)).toEqual(["sent"]);
    expect(objects.slice(1, -1).every((object) => Object.keys(object).join() === "event")).toBe(true);
    expect(objects.at(-1)).toMatchObject({ outcome: { status: "merged", exitCode: 0, merges: [{ mergedSha: MERGED_SHA, prUrl: PR_URL }] } });
    const cases = objects
      .slice(1, -1)
      .map((object) => Object.keys((object.event as Record<string, unknown>) ?? {}).find((key) => /Enqueued|Completed|Claimed|Step|Progress/.test(key)));
    expect(cases).toContain("completionCompleted");
  });

  it("--timeout ends the wait with 124 and says what is still open", async () => {
    const result = await runCli(["chat", "-m", "nobody will plan this", "--wait", "--timeout", "1s"], { cwd: repo.path, env });
    expect(result.code).toBe(124);
    // Nobody claimed it, so Send's answer carried its place in the queue.
    expect(result.stdout).toMatch(/request req_\w+ queued \(next in line/);
    expect(result.stderr).toMatch(/gave up after 1\.0s still waiting for request req_\w+/);
    const { items } = await cp.clients.queues.listItems({ queue: QueueName.REQUESTS, statuses: [ItemStatus.PENDING] });
    for (const item of items) await cp.clients.queues.cancel({ itemId: item.id, reason: "test cleanup" });
  });
});

describe("pushpals chat -m --wait across a server restart", () => {
  it("reconnects from where it was and still sees the merge", async () => {
    const repo = await tempDir("pushpals-cli-repo-");
    const data = await tempDir("pushpals-cli-data-");
    let first: ChatControlPlane | undefined;
    let second: ChatControlPlane | undefined;
    try {
      await initRepo(repo.path);
      first = await startChatControlPlane({ dataDir: data.path });
      const port = Number(new URL(first.url).port);
      const cli = startCli(["chat", "-m", "survive a restart", "--wait"], { cwd: repo.path, env: { PUSHPALS_SERVER_URL: first.url, USER: "tester" } });
      await planRequest(first.clients, { jobs: 1 });
      await cli.waitForLine(/request req_\w+ planned 1 job/);
      await first.stop();
      first = undefined;
      second = await startChatControlPlane({ dataDir: data.path, port });
      await cli.waitForLine(/lost the connection to the server; reconnecting/);
      await runJob(second.clients);
      await integrate(second.clients);
      const result = await cli.exited;
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.split("\n");
      // Nothing twice across the seam: each item's enqueue shows once.
      expect(lines.filter((line) => /^job job_\w+ queued/.test(line))).toHaveLength(1);
      expect(lines.filter((line) => /^request req_\w+ queued/.test(line))).toHaveLength(1);
      expect(lines.at(-1)).toMatch(/done: merged/);
    } finally {
      await first?.stop();
      await second?.stop();
      await Promise.all([repo.remove(), data.remove()]);
    }
  });
});
