import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { ConfigError, loadConfig } from "../../shared/config/load.js";
import { runnerSection } from "../../shared/config/sections/runner.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import { silentLogger } from "../../shared/log.js";
import { selectDriver } from "../../sandbox/select-driver.js";
import { commitsOfJob, createScene, enqueueJob, startRunner, waitForStatus, type InProcessRunner, type Scene } from "../runner/support.js";
import { git, initRepo } from "../support/git.js";
import { PUSHPALS_BIN, startPushpals, type PushpalsProcess } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { pathWithUnusableBwrap } from "./unusable-bwrap.js";

const run = promisify(execFile);

/** A model that would plant a file outside the scope of anything if its command ever ran. */
const PLANTING_AGENT: ScriptedReplyInput[] = [
  { content: "THOUGHT: leave a mark on the host.\n\n```bash\ntouch planted.txt && echo planted\n```" },
  { match: { role: "user", contains: "planted" }, content: "```bash\necho PUSHPALS_SUBMIT && echo 'planted a file'\n```" },
];

/** What the refusal must tell a person: why, and each way out. */
function expectRefusal(error: string): void {
  expect(error).toMatch(/process driver/);
  expect(error).toMatch(/on this host with the runner's rights/);
  expect(error).toMatch(/install bubblewrap/);
  expect(error).toMatch(/runner\.driver = "docker"/);
  expect(error).toMatch(/runner\.allow_unisolated = true \(PUSHPALS_ALLOW_UNISOLATED=true\)/);
}

describe("the process driver runs worker jobs only when opted in (runner.allow_unisolated)", () => {
  let scene: Scene | undefined;
  let runner: InProcessRunner | undefined;
  let model: ScriptedModelServer | undefined;

  afterEach(async () => {
    await runner?.stop();
    await model?.close();
    await scene?.remove();
    runner = model = scene = undefined;
  });

  async function start(settings: Record<string, unknown>, driver?: Awaited<ReturnType<typeof selectDriver>>) {
    scene = await createScene();
    model = await startScriptedModelServer({ script: PLANTING_AGENT });
    runner = startRunner(scene, { "llm.baseUrl": model.url, "llm.model": "scripted-agent", "llm.maxRetries": 0, ...settings }, driver ? { driver } : {});
    return { scene, model };
  }

  it("chosen explicitly and not opted in: a worker job fails at once, for good, saying what to do; the model is never asked; deterministic jobs still run", async () => {
    const { scene, model } = await start({ "runner.driver": "process", "runner.allowUnisolated": false });
    const job = await enqueueJob(scene, { lane: Lane.WORKER, instruction: "Leave a mark." }, { maxAttempts: 3 });
    const failed = await waitForStatus(scene, job.id);
    expect(failed.status).toBe(ItemStatus.FAILED);
    expect(failed.attempts).toBe(1);
    expectRefusal(failed.lastError);
    expect(model.requests()).toEqual([]);

    const script = await enqueueJob(scene, { instruction: "echo ok > ok.txt" });
    const finished = await waitForStatus(scene, script.id);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    expect(await commitsOfJob(scene.repo, job.id)).toEqual([]);
  });

  it("chosen by auto because bubblewrap is not usable: refused the same way", async () => {
    const driver = await selectDriver(runnerSection.parse({ driver: "auto" }), silentLogger, { bwrapPath: "/nonexistent/bwrap" });
    expect(driver.name).toBe("process");
    const { scene, model } = await start({ "runner.driver": "auto", "runner.allowUnisolated": false }, driver);
    const job = await enqueueJob(scene, { lane: Lane.WORKER, instruction: "Leave a mark." });
    const failed = await waitForStatus(scene, job.id);
    expect(failed.status).toBe(ItemStatus.FAILED);
    expectRefusal(failed.lastError);
    expect(model.requests()).toEqual([]);
  });

  it("opted in: the process driver runs the agent", async () => {
    const { scene, model } = await start({ "runner.driver": "process", "runner.allowUnisolated": true });
    const job = await enqueueJob(scene, { lane: Lane.WORKER, instruction: "Leave a mark.", planning: { scope: { writeAllowed: true, writeGlobs: ["planted.txt"] } } });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    expect(model.requests()).toHaveLength(2);
  });
});

describe("runner.allow_unisolated", () => {
  it("is off by default, read from PUSHPALS_ALLOW_UNISOLATED as true/false/1/0, and anything else is refused naming the key", () => {
    expect(loadConfig({ env: {} }).runner.allowUnisolated).toBe(false);
    expect(loadConfig({ env: { PUSHPALS_ALLOW_UNISOLATED: "true" } }).runner.allowUnisolated).toBe(true);
    expect(loadConfig({ env: { PUSHPALS_ALLOW_UNISOLATED: "1" } }).runner.allowUnisolated).toBe(true);
    expect(loadConfig({ env: { PUSHPALS_ALLOW_UNISOLATED: "false" } }).runner.allowUnisolated).toBe(false);
    expect(loadConfig({ env: { PUSHPALS_ALLOW_UNISOLATED: "0" } }).runner.allowUnisolated).toBe(false);
    expect(() => loadConfig({ env: { PUSHPALS_ALLOW_UNISOLATED: "yes please" } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { PUSHPALS_ALLOW_UNISOLATED: "yes please" } })).toThrow(
      /runner\.allowUnisolated = "yes please" \(from environment PUSHPALS_ALLOW_UNISOLATED\): must be true or false/,
    );
  });
});

describe("what a person is told (the real binary)", () => {
  let dir: TempDir | undefined;
  let pushpals: PushpalsProcess | undefined;

  afterEach(async () => {
    await pushpals?.stop("SIGKILL");
    await dir?.remove();
    pushpals = dir = undefined;
  });

  const bannerLine = (process: PushpalsProcess) => process.output.find((line) => /^\s+sandbox\s/.test(line)) ?? "";

  it("pushpals up's banner says whether worker jobs run, and how to change it", async () => {
    expect(existsSync(join(PUSHPALS_BIN, "..", "..", "dist", "cli", "main.js")), "build first: npm run build").toBe(true);
    dir = await tempDir("pushpals-opt-in-up-");
    await initRepo(dir.path, { "README.md": "# opt-in\n" });
    const up = async (env: Record<string, string>) => {
      pushpals = await startPushpals(["up"], { PUSHPALS_PORT: "0", ...env }, { cwd: dir!.path, timeoutMs: 30_000 });
      const line = bannerLine(pushpals);
      await pushpals.stop("SIGTERM");
      pushpals = undefined;
      return line;
    };

    const refused = await up({ PUSHPALS_SANDBOX_DRIVER: "process" });
    expect(refused).toMatch(/sandbox\s+process driver, NO isolation: worker jobs \(the coding agent\) are refused/);
    expectRefusal(refused);

    const fellBack = await up({ PATH: await pathWithUnusableBwrap(dir.path) });
    expect(fellBack).toMatch(/sandbox\s+process driver \(auto: bubblewrap is not usable here\), NO isolation: worker jobs \(the coding agent\) are refused/);

    const allowed = await up({ PUSHPALS_SANDBOX_DRIVER: "process", PUSHPALS_ALLOW_UNISOLATED: "true" });
    expect(allowed).toMatch(/sandbox\s+process driver, NO isolation: the coding agent's commands run on this host with your rights \(runner\.allow_unisolated = true\)/);
  }, 90_000);

  it("pushpals demo on a host without a usable bubblewrap opts its scratch repository in, says so, and still merges", async () => {
    dir = await tempDir("pushpals-opt-in-demo-");
    const { stdout } = await run(process.execPath, [PUSHPALS_BIN, "demo", "--dir", dir.path], {
      env: { ...process.env, NO_COLOR: "1", PUSHPALS_LOG_LEVEL: "warn", PATH: await pathWithUnusableBwrap(dir.path) },
      timeout: 80_000,
    });
    expect(stdout).toMatch(/demo · bubblewrap is not usable here, so this demo runs its scripted agent with the process driver: NO isolation/);
    expect(stdout).toMatch(/runner\.allow_unisolated = true for this scratch repository only/);
    expect(stdout).toMatch(/process sandbox\)/);
    expect(stdout).toMatch(/demo · done in/);
    expect(await git(join(dir.path, "repo"), "show", "main_agents:src/math.js")).toContain("return a + b;");
  }, 90_000);
});
