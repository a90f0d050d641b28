import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { Lane, TaskExecuteV2Schema } from "../../gen/pushpals/v1/task_pb.js";
import { createClients, type Clients } from "../../shared/clients.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { packageRoot } from "../../shared/paths.js";
import { recordingUpstream } from "../agent/recording-upstream.js";
import { waitFor } from "../sandbox/fixtures.js";
import { initRepo } from "../support/git.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";
import { startPushpals, type PushpalsProcess } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { environOf, fakeSecrets, leakedIn, processTree } from "./environ-reading.js";

const FINAL = [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.CANCELLED];

/** What a hostile agent runs on the host: every process's environment, the variables that look worth stealing. */
const ENVIRON_SCAN =
  "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < \"$f\"; echo; done 2>/dev/null | grep -E '^(PUSHPALS_|GITHUB_TOKEN|GH_TOKEN)' | sort -u; echo environ-scan-done";

/** Every process of the tree under `pid` whose /proc environ holds one of the values, as "pid: NAME". */
async function leaksInTree(pid: number, secrets: Record<string, string>): Promise<string[]> {
  const leaks: string[] = [];
  for (const member of await processTree(pid)) {
    for (const name of leakedIn(await environOf(member), secrets)) leaks.push(`${member}: ${name}`);
  }
  return leaks;
}

async function expectTokenEnforced(url: string, token: string): Promise<Clients> {
  const refused = await createClients(url)
    .sessions.createSession({ title: "no token" })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(refused).toBeInstanceOf(ConnectError);
  expect((refused as ConnectError).code).toBe(Code.Unauthenticated);
  const clients = createClients(url, { token });
  await clients.sessions.createSession({ title: "with the token" }); // the value survived in memory
  return clients;
}

/** A config folder: the shipped defaults, and no warm worktree (no git running beside the job's command). */
async function configDir(root: string): Promise<string> {
  const dir = join(root, "config");
  await mkdir(dir);
  await copyFile(join(packageRoot(), "configs", "default.toml"), join(dir, "default.toml"));
  await writeFile(join(dir, "local.toml"), "[runner]\nwarm_worktrees = 0\n");
  return dir;
}

describe("secrets under the process driver (the real binary)", () => {
  let dir: TempDir | undefined;
  let pushpals: PushpalsProcess | undefined;
  let model: ScriptedModelServer | undefined;
  let upstream: Awaited<ReturnType<typeof recordingUpstream>> | undefined;
  let database: FreshDatabase | undefined;

  afterEach(async () => {
    await pushpals?.stop("SIGKILL");
    await upstream?.close();
    await model?.close();
    await database?.drop();
    await dir?.remove();
    pushpals = upstream = model = database = dir = undefined;
  });

  it("pushpals up keeps no secret in its /proc environ; a job reading every /proc/*/environ finds none, and the token and model key still work", async () => {
    const secrets = fakeSecrets();
    dir = await tempDir("pushpals-secrets-");
    const repo = join(dir.path, "repo");
    await mkdir(repo);
    await initRepo(repo, { "README.md": "# secrets\n" });
    model = await startScriptedModelServer({
      script: [
        { content: `THOUGHT: what does this host hold?\n\n\`\`\`bash\n${ENVIRON_SCAN}\n\`\`\`` },
        { match: { role: "user", contains: "environ-scan-done" }, content: "```bash\necho PUSHPALS_SUBMIT && echo 'looked around'\n```" },
      ],
    });
    upstream = await recordingUpstream(model.url);
    pushpals = await startPushpals(
      ["up"],
      {
        ...secrets,
        PUSHPALS_CONFIG_DIR: await configDir(dir.path),
        PUSHPALS_PORT: "0",
        PUSHPALS_SANDBOX_DRIVER: "process",
        PUSHPALS_ALLOW_UNISOLATED: "true",
        PUSHPALS_LLM_BASE_URL: upstream.url,
        PUSHPALS_LLM_MODEL: "scripted-agent",
      },
      { cwd: repo, timeoutMs: 30_000 },
    );
    expect(await environOf(pushpals.child.pid!)).toContain("PUSHPALS_SANDBOX_DRIVER=process");
    expect(await leaksInTree(pushpals.child.pid!, secrets)).toEqual([]);

    const clients = await expectTokenEnforced(pushpals.url, secrets.PUSHPALS_AUTH_TOKEN!);
    const { session } = await clients.sessions.createSession({ title: "hostile job" });
    const { item } = await clients.queues.enqueue({
      queue: QueueName.JOBS,
      sessionId: session!.id,
      payload: create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: create(TaskExecuteV2Schema, { lane: Lane.WORKER, instruction: "Look around the host." }) } }),
    });
    const job = item!;
    await waitFor("the hostile job to end", async () => FINAL.includes((await clients.queues.getItem({ itemId: job.id })).item!.status), 60_000);
    const finished = (await clients.queues.getItem({ itemId: job.id })).item!;
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);

    // The scan really read the runner's environment (the names are there), and found no value.
    const events = (await clients.sessions.listEvents({ sessionId: session!.id, afterSeq: 0n, limit: 1000, itemId: job.id })).events;
    const log = events.flatMap((event) => (event.payload.case === "jobLog" ? [event.payload.value.text] : [])).join("\n");
    expect(log).toMatch(/^PUSHPALS_AUTH_TOKEN=$/m);
    expect(log).toMatch(/^PUSHPALS_SANDBOX_DRIVER=process$/m);
    expect(leakedIn(log, secrets)).toEqual([]);
    const { artifacts } = await clients.execution.listArtifacts({ jobId: job.id });
    const trajectory = artifacts.find((artifact) => artifact.name === "trajectory.json");
    const content = new TextDecoder().decode((await clients.execution.getArtifact({ artifactId: trajectory!.id })).artifact!.content);
    expect(content).toContain("environ-scan-done");
    expect(leakedIn(content, secrets)).toEqual([]);
    expect(
      leakedIn(
        JSON.stringify(events, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value)),
        secrets,
      ),
    ).toEqual([]);
    // What reached the model: the scan's output, no secret; the key went only into the header.
    expect(upstream.seen.length).toBe(2);
    expect(leakedIn(JSON.stringify(upstream.seen.map((request) => request.body)), secrets)).toEqual([]);
    expect(upstream.seen.map((request) => request.authorization)).toEqual([`Bearer ${secrets.PUSHPALS_LLM_API_KEY}`, `Bearer ${secrets.PUSHPALS_LLM_API_KEY}`]);

    expect(await leaksInTree(pushpals.child.pid!, secrets)).toEqual([]);
    expect(leakedIn(pushpals.logs.join("\n"), secrets)).toEqual([]);
  }, 90_000);

  it("pushpals up --mesh: every service process scrubs its own /proc environ at start, and the token still works", async () => {
    const secrets = fakeSecrets();
    dir = await tempDir("pushpals-secrets-mesh-");
    const repo = join(dir.path, "repo");
    await mkdir(repo);
    await initRepo(repo, { "README.md": "# secrets\n" });
    database = await freshDatabase("secrets");
    pushpals = await startPushpals(
      ["up", "--mesh"],
      {
        ...secrets,
        PUSHPALS_CONFIG_DIR: await configDir(dir.path),
        PUSHPALS_PORT: "0",
        PUSHPALS_LOG_LEVEL: "info",
        PUSHPALS_DATABASE_URL: database.url,
        PUSHPALS_NATS_URL: "nats://127.0.0.1:4222",
      },
      { cwd: repo, timeoutMs: 30_000 },
    );
    const services = ["sessions", "chat", "planner", "runner", "integration"];
    const ready = () => services.filter((name) => pushpals!.logs.some((line) => line.includes(`child process \\"${name}\\" is ready`)));
    await waitFor("every mesh service to be ready", () => ready().length === services.length, 60_000);

    const tree = await processTree(pushpals.child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(1 + services.length);
    expect(await leaksInTree(pushpals.child.pid!, secrets)).toEqual([]);
    await expectTokenEnforced(pushpals.url, secrets.PUSHPALS_AUTH_TOKEN!);
  }, 90_000);
});
