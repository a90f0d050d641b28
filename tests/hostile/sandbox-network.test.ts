import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { loadConfig } from "../../shared/config/load.js";
import { newId } from "../../shared/ids.js";
import { silentLogger } from "../../shared/log.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { laneSandboxSpec } from "../../services/runner/lanes/lane-sandbox.js";
import { makeLanes } from "../../services/runner/lanes/lanes.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../sandbox/bwrap-driver.js";
import { createDockerDriver, type DockerDriverOptions } from "../../sandbox/docker-driver.js";
import type { Sandbox, SandboxDriver } from "../../sandbox/driver.js";
import { recordingUpstream } from "../agent/recording-upstream.js";
import { createScene, enqueueJob, jobLog, startRunner, waitForStatus, type InProcessRunner, type Scene } from "../runner/support.js";
import { describeIfAvailable, type Requirement } from "../sandbox/environment.js";
import { collect, makeWorkspace, type Workspace } from "../sandbox/fixtures.js";
import { git } from "../support/git.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/**
 * Issue 10, item 1: no agent sandbox ever has the host network. From inside a sandbox started the
 * way the runner starts one for an agent CLI with model access (the command backend), every
 * service on the host's loopback must be out of reach: Postgres, NATS, a control plane and the
 * model upstream. The CLI reaches its model only through the runner's per-job proxy.
 */

const REAL_KEY = "sk-hostile-test-key-never-in-a-sandbox";
const FAKE_CLI = fileURLToPath(new URL("../agent/fixtures/fake-agent-cli.mjs", import.meta.url));
const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const bwrap: Requirement = { name: "bubblewrap (bwrap)", available: await createBwrapDriver().available(), howToGet: INSTALL_BWRAP_HINT };
/** An operator who gave integration checks the host network; agent sandboxes must still get none. */
const dockerSettings: DockerDriverOptions = { image: "localhost/pushpals-busybox:latest", network: "host", cpus: 0.5, memoryMb: 128, pidsLimit: 64 };
const docker: Requirement = {
  name: "a container engine with the Docker API (DOCKER_HOST)",
  available: await createDockerDriver(dockerSettings).available(),
  howToGet: 'run eval "$(bash scripts/container-engine.sh)" (podman serving the Docker Engine API) or start Docker',
};

let controlPlane: TestControlPlane;
let model: ScriptedModelServer;
let targets: Record<string, number>;

beforeAll(async () => {
  controlPlane = await startTestControlPlane();
  model = await startScriptedModelServer({ script: [{ content: "unused" }] });
  targets = { postgres: 5432, nats: 4222, "control plane": portOf(controlPlane.url), "model upstream": portOf(model.url) };
  // The control: each target answers on the host, so a refused connect inside means isolation.
  for (const [name, port] of Object.entries(targets)) expect(await reachableFromHost(port), `${name} on 127.0.0.1:${port} from the host`).toBe(true);
});
afterAll(async () => {
  await model?.close();
  await controlPlane?.stop();
});

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function reachableFromHost(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, timeout: 3000 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

/** The worker lane for `agent.backend = "command"` with a model, made from config as the runner makes it. */
async function commandAgentLane() {
  const config = loadConfig({
    env: {},
    overrides: {
      "agent.backend": "command",
      "agent.command.template": "some-agent-cli --task {instruction_file}",
      "llm.baseUrl": model.url,
      "llm.apiKey": REAL_KEY,
      "llm.model": "hostile-model",
    },
  });
  return (await makeLanes(config, silentLogger)).worker;
}

function describeAgentSandbox(name: string, requirement: Requirement, makeDriver: () => SandboxDriver, tcpProbe: (port: number) => string): void {
  describeIfAvailable(`an agent sandbox (${name}) started as the runner starts one for the command backend`, requirement, () => {
    let workspace: Workspace;
    let sandbox: Sandbox;
    beforeAll(async () => {
      workspace = await makeWorkspace();
      const spec = laneSandboxSpec(await commandAgentLane(), {
        jobId: newId("job"),
        owner: `hostile-${name}`,
        worktree: workspace.worktree,
        env: { PATH: SANDBOX_PATH, HOME: "/tmp" },
      });
      sandbox = await makeDriver().start(spec);
    });
    afterAll(async () => {
      await sandbox?.stop();
      await workspace?.dir.remove();
    });

    for (const target of ["postgres", "nats", "control plane", "model upstream"]) {
      it(`cannot connect to the host's ${target}`, async () => {
        const port = targets[target]!;
        const { stdout, stderr, result } = await collect(sandbox.exec(`${tcpProbe(port)} && echo REACHED`, { timeoutMs: 15_000 }));
        expect(stdout, `connect to 127.0.0.1:${port} from inside (${stderr.trim()})`).not.toContain("REACHED");
        expect(result.exitCode).not.toBe(0);
      });
    }

    it("has no network interface but its own loopback", async () => {
      const { stdout } = await collect(sandbox.exec("cat /proc/net/dev"));
      const interfaces = stdout
        .split("\n")
        .slice(2)
        .map((line) => line.split(":")[0]!.trim())
        .filter(Boolean);
      expect(interfaces).toEqual(["lo"]);
    });
  });
}

describeAgentSandbox(
  "bwrap",
  bwrap,
  () => createBwrapDriver(),
  (port) => `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`,
);
describeAgentSandbox(
  "docker",
  docker,
  () => createDockerDriver(dockerSettings),
  (port) => `nc -w 2 127.0.0.1 ${port} </dev/null`,
);

describeIfAvailable("docker: the probe is real", docker, () => {
  it("an integration-check sandbox the operator gave the host network (spec.network) does reach Postgres", async () => {
    const workspace = await makeWorkspace();
    const sandbox = await createDockerDriver(dockerSettings).start({ jobId: newId("job"), owner: "hostile-docker-control", worktree: workspace.worktree, env: {}, network: true });
    try {
      const { result } = await collect(sandbox.exec("nc -w 2 127.0.0.1 5432 </dev/null"));
      expect(result.exitCode).toBe(0);
    } finally {
      await sandbox.stop();
      await workspace.dir.remove();
    }
  });
});

interface CliRun {
  env: Record<string, string>;
  connects: Record<string, string>;
}

describeIfAvailable("the command backend under bwrap, run by the runner", bwrap, () => {
  let scene: Scene | undefined;
  let runner: InProcessRunner | undefined;
  let upstream: Awaited<ReturnType<typeof recordingUpstream>> | undefined;
  let scripted: ScriptedModelServer | undefined;
  afterEach(async () => {
    await runner?.stop();
    await upstream?.close();
    await scripted?.close();
    await scene?.remove();
    scene = runner = upstream = scripted = undefined;
  });

  it("reaches the model only through the job's proxy, never sees the key, and cannot connect to anything on the host", async () => {
    scripted = await startScriptedModelServer({ script: [{ content: "answered through the proxy", usage: { prompt_tokens: 50, completion_tokens: 5 } }] });
    upstream = await recordingUpstream(scripted.url);
    scene = await createScene({ files: { "README.md": "# hostile\n", "fake-agent-cli.mjs": await readFile(FAKE_CLI, "utf8") } });
    const direct = [`127.0.0.1:5432`, `127.0.0.1:4222`, `127.0.0.1:${portOf(scene.controlPlane.url)}`, `127.0.0.1:${portOf(upstream.url)}`, `127.0.0.1:${portOf(scripted.url)}`];
    runner = startRunner(scene, {
      "runner.driver": "bwrap",
      "agent.backend": "command",
      "agent.command.template": `node {workdir}/fake-agent-cli.mjs --task-file {instruction_file} ${direct.map((target) => `--try-connect ${target}`).join(" ")}`,
      "llm.baseUrl": upstream.url,
      "llm.apiKey": REAL_KEY,
      "llm.model": "hostile-model",
      "llm.maxRetries": 0,
    });

    const job = await enqueueJob(scene, {
      lane: Lane.WORKER,
      instruction: "Answer the question.",
      planning: { validationSteps: ["grep -q 'answered through the proxy' answer.txt"], scope: { writeAllowed: true, writeGlobs: ["answer.txt", "cli-run-*.json"] } },
    });
    const finished = await waitForStatus(scene, job.id, undefined, 60_000);
    expect(finished.status, `${finished.lastError}\n${(await jobLog(scene, job.id)).map((line) => line.text).join("\n")}`).toBe(ItemStatus.COMPLETED);
    const sha = finished.result?.kind.case === "job" ? finished.result.kind.value.sha : "";

    expect(await git(scene.repo, "show", `${sha}:answer.txt`)).toBe("answered through the proxy");
    const cli = JSON.parse(await git(scene.repo, "show", `${sha}:cli-run-1.json`)) as CliRun;
    // Every direct connect failed: only the sandbox's own loopback exists in there.
    for (const target of direct) expect(cli.connects[target], `direct connect to ${target}`).not.toBe("connected");
    // The CLI's model URL is a loopback port inside the sandbox, the key never entered it.
    expect(cli.env.OPENAI_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(direct.map((target) => `http://${target}/v1`)).not.toContain(cli.env.OPENAI_BASE_URL);
    expect(cli.env.PUSHPALS_MODEL_SOCKET).toBe("/run/pushpals/model.sock");
    expect(JSON.stringify(cli.env)).not.toContain(REAL_KEY);
    // The upstream saw the request with the real key, added by the proxy outside the sandbox.
    expect(upstream.seen.map((request) => [request.path, request.authorization, request.body?.model])).toEqual([["/chat/completions", `Bearer ${REAL_KEY}`, "hostile-model"]]);
  });
});

describeIfAvailable("the command backend under docker, run by the runner", docker, () => {
  let scene: Scene | undefined;
  let runner: InProcessRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
    await scene?.remove();
    scene = runner = undefined;
  });

  it("gets no network even where runner.docker.network is host, only the model socket, and the runner says the image has no node to bridge it", async () => {
    scene = await createScene({ files: { "README.md": "# hostile docker\n" } });
    const ports = [5432, 4222, portOf(scene.controlPlane.url), portOf(model.url)];
    // busybox has no node: the CLI is a shell script that records what it can see and reach.
    const cli = [
      "env > cli-env.txt",
      'if test -S "$PUSHPALS_MODEL_SOCKET"; then echo socket > socket.txt; fi',
      ...ports.map((port) => `if nc -w 2 127.0.0.1 ${port} </dev/null >/dev/null 2>&1; then echo "${port} connected"; else echo "${port} refused"; fi >> connects.txt`),
    ].join("; ");
    runner = startRunner(scene, {
      "runner.driver": "docker",
      "runner.docker.image": dockerSettings.image,
      "runner.docker.network": "host",
      "agent.backend": "command",
      "agent.command.template": `sh -c '${cli}'`,
      "llm.baseUrl": model.url,
      "llm.apiKey": REAL_KEY,
      "llm.model": "hostile-model",
    });

    const job = await enqueueJob(scene, {
      lane: Lane.WORKER,
      instruction: "Probe.",
      planning: { scope: { writeAllowed: true, writeGlobs: ["*.txt"] } },
    });
    const finished = await waitForStatus(scene, job.id, undefined, 60_000);
    const log = (await jobLog(scene, job.id)).map((line) => line.text).join("\n");
    expect(finished.status, `${finished.lastError}\n${log}`).toBe(ItemStatus.COMPLETED);
    const sha = finished.result?.kind.case === "job" ? finished.result.kind.value.sha : "";

    expect(await git(scene.repo, "show", `${sha}:connects.txt`)).toBe(ports.map((port) => `${port} refused`).join("\n"));
    expect(await git(scene.repo, "show", `${sha}:socket.txt`)).toBe("socket");
    const env = await git(scene.repo, "show", `${sha}:cli-env.txt`);
    expect(env).toContain("PUSHPALS_MODEL_SOCKET=/run/pushpals/model.sock");
    expect(env).not.toContain("OPENAI_BASE_URL");
    expect(env).not.toContain(REAL_KEY);
    expect(log).toMatch(/the sandbox has no node to bridge a loopback port to the model socket/);
  });
});
