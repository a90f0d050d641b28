import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import { createBwrapDriver } from "../../sandbox/bwrap-driver.js";
import { createDockerDriver } from "../../sandbox/docker-driver.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { git } from "../support/git.js";
import { ensureNodeImage, NODE_IMAGE } from "../support/node-image.js";
import { npmRepository } from "./job-environment-fixture.js";
import { createScene, enqueueJob, itemEvents, jobLog, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";
import { JobStage } from "../../gen/pushpals/v1/kinds_pb.js";

const SECRET_NAME = "PUSHPALS_TEST_JOB_ENV_TOKEN";
const SECRET_VALUE = "tok-4242-setup-only";

/** The repository's own spec: exactly these run, with network, the secret for setup only. */
const SPEC = `setup = ["npm ci --no-audit --no-fund", "node probe.js setup", "test \\"$${SECRET_NAME}\\" = ${SECRET_VALUE} && echo setup saw its secret"]
setup_secrets = ["${SECRET_NAME}"]
cache = ["node_modules"]
image = "${NODE_IMAGE}"

[env]
AGENT_GREETING = "hello from the spec"
`;

/** One job's agent: probes the network and the secret, runs the suite that needs is-number, writes a note, submits. */
const AGENT_SCRIPT: ScriptedReplyInput[] = [
  { content: '```bash\nnode probe.js agent; echo "agent token=[${' + SECRET_NAME + ':-}] greeting=[$AGENT_GREETING]"\n```' },
  { match: { role: "user", contains: "agent token=" }, content: "```bash\nnpm test && echo checked > notes.txt\n```" },
  { match: { role: "user", contains: "is-number works" }, content: "```bash\necho PUSHPALS_SUBMIT && echo 'The suite passes with is-number installed.'\n```" },
];

const drivers = [
  { name: "process", available: true, howToGet: "" },
  { name: "bwrap", available: await createBwrapDriver().available(), howToGet: "install bubblewrap (apt-get install bubblewrap)" },
  {
    name: "docker",
    available: await createDockerDriver({ image: NODE_IMAGE, network: "none", cpus: 1, memoryMb: 1024, pidsLimit: 256 }).available(),
    howToGet: 'run eval "$(bash scripts/container-engine.sh)" (podman serving the Docker Engine API) or start Docker',
  },
] as const;

for (const driver of drivers) {
  describeIfAvailable(
    `a job environment under the ${driver.name} driver`,
    { name: driver.name === "process" ? "process" : `the ${driver.name} driver`, available: driver.available, howToGet: driver.howToGet },
    () => {
      let scene: Scene | undefined;
      let runner: InProcessRunner | undefined;
      let model: ScriptedModelServer | undefined;

      beforeAll(async () => {
        if (driver.name === "docker") await ensureNodeImage();
        process.env[SECRET_NAME] = SECRET_VALUE;
      }, 120_000);
      afterAll(async () => {
        await runner?.stop();
        await model?.close();
        await scene?.remove();
        delete process.env[SECRET_NAME];
      });

      it("installs a real npm dependency with network in setup, runs the agent without network or the secret, and reuses the cache on the next job", async () => {
        scene = await createScene({ files: npmRepository({ ".pushpals/environment.toml": SPEC }) });
        model = await startScriptedModelServer({ script: [...AGENT_SCRIPT, ...AGENT_SCRIPT] });
        runner = startRunner(scene, {
          "runner.driver": driver.name,
          "runner.concurrency": 1,
          "environment.secretAllowList": [SECRET_NAME],
          "llm.baseUrl": model.url,
          "llm.model": "scripted-agent",
          "llm.apiKey": "sk-test-never-in-a-sandbox",
          "llm.maxRetries": 0,
        });
        const task = {
          lane: Lane.WORKER,
          instruction: "Check that the suite passes and leave a note.",
          planning: { validationSteps: ["npm test"], scope: { writeAllowed: true, writeGlobs: ["notes.txt"] } },
        };

        const first = await enqueueJob(scene, task);
        const firstDone = await waitForStatus(scene, first.id, undefined, 180_000);
        expect(firstDone.status, firstDone.lastError).toBe(ItemStatus.COMPLETED);
        const firstLog = (await jobLog(scene, first.id)).map((line) => line.text);
        // Exactly the spec's setup ran (no detected `npm ci` of its own), with network and the secret.
        expect(firstLog.filter((text) => text.startsWith("[setup] setup command"))).toEqual([
          "[setup] setup command 1 of 3: $ npm ci --no-audit --no-fund",
          "[setup] setup command 2 of 3: $ node probe.js setup",
          `[setup] setup command 3 of 3: $ test "$${SECRET_NAME}" = ${SECRET_VALUE} && echo setup saw its secret`,
        ]);
        expect(firstLog).toContain("setup saw its secret");
        expect(firstLog).toContain("is-number works");
        expect(firstLog.join("\n")).not.toContain(SECRET_VALUE.replace("tok-", "tok=")); // sanity: the value is only in the echoed command
        expect(firstLog).toContain("agent token=[] greeting=[hello from the spec]");
        if (driver.name !== "process") {
          // The process driver isolates nothing; the isolated ones give network to setup only.
          expect(firstLog).toContain("setup: network reachable");
          expect(firstLog.find((text) => text.startsWith("agent: "))).toMatch(/^agent: no network/);
        }
        const firstStages = await stagesOf(scene, first.id);
        expect(firstStages.map((stage) => stage.stage)).toEqual([
          JobStage.WORKSPACE,
          JobStage.SETUP,
          JobStage.SANDBOX,
          JobStage.RUN,
          JobStage.VALIDATION,
          JobStage.SCOPE,
          JobStage.COMMIT,
          JobStage.COMPLETION,
        ]);
        expect(firstStages[1]!.detail).toContain("3 setup commands with network");
        // The environment never enters the change: node_modules is not ignored by this repository.
        const result = firstDone.result?.kind.case === "job" ? firstDone.result.kind.value : undefined;
        expect(result?.changedFiles).toEqual(["notes.txt"]);
        expect(await git(scene.repo, "ls-tree", "-r", "--name-only", result!.sha)).not.toMatch(/node_modules|\.pushpals-home/);
        const freshMs = setupMs(firstLog, "fresh setup");

        const second = await enqueueJob(scene, task);
        const secondDone = await waitForStatus(scene, second.id, undefined, 180_000);
        expect(secondDone.status, secondDone.lastError).toBe(ItemStatus.COMPLETED);
        const secondLog = (await jobLog(scene, second.id)).map((line) => line.text);
        const secondStages = await stagesOf(scene, second.id);
        expect(secondStages[1]!.detail).toMatch(/reused the cached environment [0-9a-f]{12} \(node_modules: \d+ files, (hardlink|reflink)(, linked ahead)?\)/);
        expect(secondLog.filter((text) => text.startsWith("[setup] setup command"))).toEqual([]);
        expect(secondLog).toContain("is-number works");
        const cachedMs = setupMs(secondLog, "cached environment");
        // Dependencies cost the second job well under a second: no setup sandbox, no install.
        expect(cachedMs).toBeLessThan(1000);
        console.info(`[job environment, ${driver.name}] setup: first job ${freshMs} ms, cached ${cachedMs} ms`);
      }, 400_000);
    },
  );
}

async function stagesOf(scene: Scene, jobId: string) {
  return (await itemEvents(scene, jobId)).flatMap((event) => (event.payload.case === "jobProgress" ? [event.payload.value] : []));
}

function setupMs(log: string[], kind: string): number {
  const line = log.find((text) => text.startsWith("[setup] done in") && text.includes(kind));
  expect(line, `no "[setup] done in … (${kind})" line in ${JSON.stringify(log.filter((text) => text.startsWith("[setup]")))}`).toBeDefined();
  return Number(/done in (\d+) ms/.exec(line!)![1]);
}

describe("job environments without a spec, and bad specs", () => {
  let scene: Scene | undefined;
  let runner: InProcessRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
    await scene?.remove();
    runner = scene = undefined;
  });

  it("detects package-lock.json and runs npm ci, saying so in the job's events", async () => {
    scene = await createScene({ files: npmRepository() });
    runner = startRunner(scene, { "runner.driver": "process" });
    const job = await enqueueJob(scene, { instruction: "npm test" });
    const done = await waitForStatus(scene, job.id, undefined, 120_000);
    expect(done.status, done.lastError).toBe(ItemStatus.COMPLETED);
    const stages = await stagesOf(scene, job.id);
    expect(stages.map((stage) => stage.stage)).toContain(JobStage.SETUP);
    expect(stages.find((stage) => stage.stage === JobStage.SETUP)!.detail).toContain("no .pushpals/environment.toml; detected package-lock.json → npm ci --no-audit --no-fund");
    const log = (await jobLog(scene, job.id)).map((line) => line.text);
    expect(log.filter((text) => text.startsWith("[setup] setup command"))).toEqual(["[setup] setup command 1 of 1: $ npm ci --no-audit --no-fund"]);
    expect(log).toContain("is-number works");
  }, 150_000);

  it("runs the maintenance commands, not setup, when a cached environment is reused", async () => {
    const spec = 'setup = ["mkdir -p deps && echo built > deps/made-by-setup"]\nmaintenance = ["echo maintenance saw $(cat deps/made-by-setup)"]\ncache = ["deps"]\n';
    scene = await createScene({ files: { "README.md": "# x\n", ".pushpals/environment.toml": spec } });
    runner = startRunner(scene, { "runner.driver": "process", "runner.concurrency": 1 });
    const logs: string[][] = [];
    for (let round = 0; round < 2; round += 1) {
      const job = await enqueueJob(scene, { instruction: "cat deps/made-by-setup" });
      const done = await waitForStatus(scene, job.id);
      expect(done.status, done.lastError).toBe(ItemStatus.COMPLETED);
      logs.push((await jobLog(scene, job.id)).map((line) => line.text));
    }
    expect(logs[0]!.filter((text) => /^\[setup\] (setup|maintenance) command/.test(text))).toEqual([
      "[setup] setup command 1 of 1: $ mkdir -p deps && echo built > deps/made-by-setup",
    ]);
    expect(logs[1]!.filter((text) => /^\[setup\] (setup|maintenance) command/.test(text))).toEqual([
      "[setup] maintenance command 1 of 1: $ echo maintenance saw $(cat deps/made-by-setup)",
    ]);
    expect(logs[1]).toContain("maintenance saw built");
    expect(logs[1]).toContain("built"); // the job's own script read the restored tree
  });

  it("runs no setup under the process driver without runner.allowUnisolated, and says why", async () => {
    scene = await createScene({ files: npmRepository({ ".pushpals/environment.toml": 'setup = ["touch setup-ran"]\n' }) });
    runner = startRunner(scene, { "runner.driver": "process", "runner.allowUnisolated": false });
    const job = await enqueueJob(scene, { instruction: "test ! -e setup-ran && echo no setup ran" });
    const done = await waitForStatus(scene, job.id);
    expect(done.status, done.lastError).toBe(ItemStatus.COMPLETED);
    const setup = (await stagesOf(scene, job.id)).find((stage) => stage.stage === JobStage.SETUP);
    expect(setup?.detail).toContain("skipped, the process driver would run the repository's setup commands");
    expect(setup?.detail).toContain("runner.allow_unisolated = true");
    expect((await jobLog(scene, job.id)).map((line) => line.text)).toContain("no setup ran");
  });

  it("fails a job whose environment.toml is invalid, naming the key, without running anything", async () => {
    scene = await createScene({ files: npmRepository({ ".pushpals/environment.toml": 'setup = "npm ci"\ncahce = ["node_modules"]\n' }) });
    runner = startRunner(scene, { "runner.driver": "process" });
    const job = await enqueueJob(scene, { instruction: "touch ran.txt" }, { maxAttempts: 3 });
    const done = await waitForStatus(scene, job.id);
    expect(done.status).toBe(ItemStatus.FAILED);
    expect(done.attempts).toBe(1);
    expect(done.lastError).toContain(".pushpals/environment.toml at");
    expect(done.lastError).toContain("unknown key cahce");
    expect(done.lastError).toMatch(/setup: .*expected array/i);
    expect(done.lastError).toContain("fix the file and commit it");
  });

  it("refuses setup secrets the operator did not allow", async () => {
    scene = await createScene({ files: npmRepository({ ".pushpals/environment.toml": 'setup = ["true"]\nsetup_secrets = ["AWS_SECRET_ACCESS_KEY"]\n' }) });
    runner = startRunner(scene, { "runner.driver": "process" });
    const job = await enqueueJob(scene, { instruction: "true" });
    const done = await waitForStatus(scene, job.id);
    expect(done.status).toBe(ItemStatus.FAILED);
    expect(done.lastError).toContain("setup_secrets names AWS_SECRET_ACCESS_KEY, which the operator does not allow; add it to environment.secret_allow_list");
  });

  it("fails the job with the setup output's summary when a setup command fails", async () => {
    scene = await createScene({ files: { "README.md": "# x\n", ".pushpals/environment.toml": 'setup = ["echo preparing", "echo \\"Error: registry said no\\" >&2; exit 3"]\n' } });
    runner = startRunner(scene, { "runner.driver": "process" });
    const job = await enqueueJob(scene, { instruction: "touch ran.txt" });
    const done = await waitForStatus(scene, job.id);
    expect(done.status).toBe(ItemStatus.FAILED);
    expect(done.lastError).toContain("setup command 2 of 2");
    expect(done.lastError).toContain("failed with exit code 3");
    expect(done.lastError).toContain("Error: registry said no");
    const stages = (await stagesOf(scene, job.id)).map((stage) => stage.stage);
    expect(stages).toEqual([JobStage.WORKSPACE, JobStage.SETUP]);
  });
});
