import { defaultDataDir } from "../../shared/config/data-dir.js";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { Lane, TaskExecuteV2Schema } from "../../gen/pushpals/v1/task_pb.js";
import { createClients } from "../../shared/clients.js";
import { packageRoot } from "../../shared/paths.js";
import { processesWith, uniqueSleep, waitFor } from "../sandbox/fixtures.js";
import { git, initRepo } from "../support/git.js";
import { logProblems } from "../support/json-log.js";
import { startPushpals, type PushpalsProcess } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";

interface HealthClient extends grpc.Client {
  check(request: { service: string }, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
}

/** grpc.health.v1 through @grpc/grpc-js, a gRPC stack of its own, over plaintext HTTP/2. */
function healthCheck(url: string): Promise<string> {
  const definition = loadSync(join(packageRoot(), "proto/grpc/health/v1/health.proto"), { enums: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } };
  };
  const client = new loaded.grpc.health.v1.Health(new URL(url).host, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.check({ service: "" }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response!.status);
    }),
  );
}

async function enqueueScript(url: string, instruction: string) {
  const clients = createClients(url);
  const { session } = await clients.sessions.createSession({ title: "up test" });
  const { item } = await clients.queues.enqueue({
    queue: QueueName.JOBS,
    sessionId: session!.id,
    payload: create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: create(TaskExecuteV2Schema, { lane: Lane.DETERMINISTIC, instruction }) } }),
  });
  return { clients, sessionId: session!.id, job: item! };
}

async function waitForStatus(url: string, jobId: string, statuses: ItemStatus[], timeoutMs = 30_000) {
  const clients = createClients(url);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const item = (await clients.queues.getItem({ itemId: jobId })).item!;
    if (statuses.includes(item.status) || Date.now() > deadline) return item;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const FINAL = [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.CANCELLED];

describe("pushpals up (the real binary)", () => {
  let dir: TempDir | undefined;
  let pushpals: PushpalsProcess | undefined;

  afterEach(async () => {
    await pushpals?.stop("SIGKILL");
    await dir?.remove();
    pushpals = dir = undefined;
  });

  it("serves health over gRPC, runs a deterministic job to a commit and a completion, and stops cleanly on SIGTERM", async () => {
    expect(existsSync(join(packageRoot(), "dist/cli/main.js")), "build first: npx tsc -p tsconfig.build.json (npm test does it)").toBe(true);
    dir = await tempDir("pushpals-up-");
    const baseSha = await initRepo(dir.path, { "README.md": "# up test\n" });
    // The default sandbox driver: bwrap where it works, else the process driver.
    pushpals = await startPushpals(["up"], { PUSHPALS_PORT: "0", PUSHPALS_LOG_LEVEL: "info", PUSHPALS_LLM_MODEL: "" }, { cwd: dir.path, timeoutMs: 30_000 });
    const banner = pushpals.output.join("\n");
    expect(banner).toContain(`pushpals is up on ${dir.path}`);
    // npm run build builds the web UI into web/dist: the banner gives its address, and it is served
    // on the one port, a client route (a job's page after a reload) included.
    expect(existsSync(join(packageRoot(), "web/dist/index.html")), "npm run build builds web/dist").toBe(true);
    expect(banner).toContain(`web UI        ${pushpals.url}/`);
    for (const path of ["/", "/jobs/job_after_a_reload"]) {
      const page = await fetch(`${pushpals.url}${path}`);
      expect([path, page.status, page.headers.get("content-type")]).toEqual([path, 200, "text/html; charset=utf-8"]);
      expect(await page.text()).toContain('<div id="root">');
    }
    expect(banner).toMatch(/gRPC\/Connect\s+http:\/\/127\.0\.0\.1:\d+/);
    // No model here: the banner says so before anyone asks for work.
    expect(banner).toMatch(/model\s+not ready: no model configured for the planner role: set PUSHPALS_PLANNER_LLM_MODEL or PUSHPALS_LLM_MODEL/);

    expect(await healthCheck(pushpals.url)).toBe("SERVING");
    // The data dir lives outside the repository (the XDG state dir), and the banner says where.
    const dataDir = defaultDataDir(dir.path);
    expect(banner).toContain(`data          ${dataDir}`);
    expect(existsSync(join(dataDir, "pushpals.db"))).toBe(true);
    expect(existsSync(join(dir.path, ".pushpals"))).toBe(false);
    expect(await git(dir.path, "status", "--porcelain")).toBe("");

    const { clients, sessionId, job } = await enqueueScript(pushpals.url, "echo from-up > up.txt");
    const finished = await waitForStatus(pushpals.url, job.id, FINAL);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    const branch = `agent/${finished.claimedBy}/${job.id}`;
    const result = finished.result?.kind.case === "job" ? finished.result.kind.value : undefined;
    expect(result?.branch).toBe(branch);
    // By the commit, not the branch: integration deletes the branch once it has merged it.
    expect(await git(dir.path, "rev-parse", `${result?.sha}^`)).toBe(baseSha);
    expect(await git(dir.path, "show", `${result?.sha}:up.txt`)).toBe("from-up");

    const { items } = await clients.queues.listItems({ queue: QueueName.COMPLETIONS, sessionId: sessionId });
    expect(items).toHaveLength(1);
    expect(items[0]?.parentId).toBe(job.id);
    expect(items[0]?.payload?.kind.value).toMatchObject({ jobId: job.id, branch, sha: result?.sha });

    const code = await pushpals.stop("SIGTERM");
    expect(code).toBe(0);
    expect(existsSync(join(dataDir, "worktrees", finished.claimedBy, job.id))).toBe(false);

    // Logs: one JSON object a line, each key once, and the job's lines say whose job it is.
    expect(logProblems(pushpals.logs)).toEqual([]);
    const records = pushpals.logs.filter((line) => line.startsWith("{"));
    const jobRecords = records.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => record.jobId === job.id);
    expect(jobRecords.length).toBeGreaterThan(3);
    expect(jobRecords.filter((record) => record.sessionId !== sessionId || typeof record.service !== "string")).toEqual([]);
  });

  it("on SIGTERM mid-job stops the job's processes, exits 0, and the next start runs the job to the end", async () => {
    dir = await tempDir("pushpals-up-");
    await initRepo(dir.path, { "README.md": "# up test\n" });
    const { seconds, marker } = uniqueSleep();
    const firstAttempt = join(dir.path, ".git", "first-attempt");
    const env = { PUSHPALS_PORT: "0", PUSHPALS_SANDBOX_DRIVER: "process" };
    pushpals = await startPushpals(["up"], env, { cwd: dir.path, timeoutMs: 30_000 });
    const { job } = await enqueueScript(pushpals.url, `if [ -e ${firstAttempt} ]; then echo second > second.txt; else touch ${firstAttempt}; sleep ${seconds}; fi`);
    await waitFor("the job's sleep to run", async () => (await processesWith(marker)) === 1, 20_000);

    const stoppedAt = performance.now();
    expect(await pushpals.stop("SIGTERM")).toBe(0);
    expect(performance.now() - stoppedAt).toBeLessThan(10_000);
    expect(await processesWith(marker)).toBe(0);

    pushpals = await startPushpals(["up"], env, { cwd: dir.path, timeoutMs: 30_000 });
    const finished = await waitForStatus(pushpals.url, job.id, FINAL);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    expect(finished.attempts).toBe(2);
    const second = finished.result?.kind.case === "job" ? finished.result.kind.value.sha : "";
    expect(await git(dir.path, "show", `${second}:second.txt`)).toBe("second");
    expect(await pushpals.stop("SIGINT")).toBe(0); // Ctrl-C stops as cleanly as SIGTERM
  });
});
