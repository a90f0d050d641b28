import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../sandbox/bwrap-driver.js";
import { createDockerDriver } from "../../sandbox/docker-driver.js";
import { recordingUpstream } from "../agent/recording-upstream.js";
import { startChildRunner, type ChildRunner } from "../runner/child-runner.js";
import { createScene, enqueueJob, itemEvents, jobLog, waitForStatus, type Scene } from "../runner/support.js";
import { describeIfAvailable, type Requirement } from "../sandbox/environment.js";
import { git } from "../support/git.js";
import { fakeSecrets, leakedIn } from "./environ-reading.js";

/**
 * Issue 10's hostile sandbox: a scripted model proposes the attacks a hostile model would —
 * connects to the host's services, reading secrets from the environment and /proc, writing
 * outside the worktree, planting git config and hooks, leaving setsid survivors, fork and disk
 * floods within safe bounds — to a runner in a process of its own (holding real-looking secrets),
 * under each driver. Each attack must fail or be cleaned up, and the runner must go on working.
 * The process driver isolates nothing by design (it is opt-in): there the network and writes
 * outside the worktree are not asserted, everything else is.
 */

const bwrap: Requirement = { name: "bubblewrap (bwrap)", available: await createBwrapDriver().available(), howToGet: INSTALL_BWRAP_HINT };
const docker: Requirement = {
  name: "a container engine with the Docker API (DOCKER_HOST)",
  available: await createDockerDriver({ image: "localhost/pushpals-busybox:latest", network: "none", cpus: 1, memoryMb: 512, pidsLimit: 128 }).available(),
  howToGet: 'run eval "$(bash scripts/container-engine.sh)" (podman serving the Docker Engine API) or start Docker',
};
const always: Requirement = { name: "the process driver", available: true, howToGet: "" };

interface DriverCase {
  driver: "process" | "bwrap" | "docker";
  requirement: Requirement;
  overrides: Record<string, unknown>;
  /** Whether the driver keeps the host's network and files out of reach (process does not). */
  isolates: boolean;
}

const CASES: DriverCase[] = [
  { driver: "process", requirement: always, overrides: { "runner.driver": "process", "runner.allowUnisolated": true }, isolates: false },
  { driver: "bwrap", requirement: bwrap, overrides: { "runner.driver": "bwrap" }, isolates: true },
  { driver: "docker", requirement: docker, overrides: { "runner.driver": "docker", "runner.docker.memoryMb": 512, "runner.docker.pidsLimit": 128 }, isolates: true },
];

const bash = (command: string) => ({ content: `THOUGHT: next.\n\n\`\`\`bash\n${command}\n\`\`\`` });

/** A probe that works with node (host, bwrap) or busybox nc (the docker test image). */
function probe(port: number): string {
  const withNode = `node -e 'const s=require("net").connect(${port},"127.0.0.1");s.on("connect",()=>{console.log("REACHED");process.exit(0)});s.on("error",()=>{console.log("BLOCKED");process.exit(0)});setTimeout(()=>{console.log("BLOCKED");process.exit(0)},3000)'`;
  const withNc = `if nc -w 2 127.0.0.1 ${port} </dev/null >/dev/null 2>&1; then echo REACHED; else echo BLOCKED; fi`;
  return `if command -v node >/dev/null 2>&1; then ${withNode}; else ${withNc}; fi | sed 's/^/${port} /' >> attack/network.txt`;
}

/** Host processes whose command line contains `text`. */
async function hostProcessesWith(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const commandLine = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " ");
    if (commandLine.includes(text)) found.push(`${entry} ${commandLine}`);
  }
  return found;
}

async function eventually(_what: string, check: () => Promise<string[]>, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await check();
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

for (const testCase of CASES) {
  describeIfAvailable(`a hostile agent under the ${testCase.driver} driver`, testCase.requirement, () => {
    let scene: Scene | undefined;
    let runner: ChildRunner | undefined;
    let model: ScriptedModelServer | undefined;
    let upstream: Awaited<ReturnType<typeof recordingUpstream>> | undefined;
    const mark = `pp-attack-${randomBytes(6).toString("hex")}`;
    const secrets = fakeSecrets();

    afterEach(async () => {
      await runner?.stop();
      await upstream?.close();
      await model?.close();
      await scene?.remove();
      runner = scene = model = upstream = undefined;
      // Whatever a failing run left must not outlive the test.
      for (const line of await hostProcessesWith(mark)) {
        try {
          process.kill(Number(line.split(" ")[0]), "SIGKILL");
        } catch {
          // gone already
        }
      }
    });

    /** A scene, then a model (recorded through an upstream that keeps headers) whose script may name the scene's ports. */
    async function start(scriptFor: (scene: Scene) => ReturnType<typeof bash>[]): Promise<Scene> {
      scene = await createScene({ files: { "README.md": "# target\n", "src/app.txt": "app\n" } });
      upstream = await recordingUpstream(() => model!.url);
      model = await startScriptedModelServer({ script: scriptFor(scene) });
      runner = await startAttackedRunner(scene);
      return scene;
    }

    function startAttackedRunner(scene: Scene): Promise<ChildRunner> {
      return startChildRunner(
        scene,
        { ...testCase.overrides, "llm.baseUrl": upstream!.url, "llm.model": "hostile", "llm.maxRetries": 0, "runner.warmWorktrees": 0 },
        { fixture: "tests/hostile/fixtures/attacked-runner.mjs", env: secrets },
      );
    }

    async function runJob(scene: Scene, instruction: string) {
      const job = await enqueueJob(scene, {
        lane: Lane.WORKER,
        instruction,
        planning: { scope: { writeAllowed: true, writeGlobs: ["attack/**", "ok.txt"] } },
      });
      return { job, finished: await waitForStatus(scene, job.id, undefined, 120_000) };
    }

    it("network, secrets, writes outside, setsid survivors and floods: each fails or is cleaned up, and the runner goes on", async () => {
      const outsideTmp = `/tmp/${mark}-outside`;
      const portsOf = (scene: Scene) => [5432, 4222, Number(new URL(scene.controlPlane.url).port), Number(new URL(upstream!.url).port)];
      const scene = await start((scene) => [
        // The last port is the model's (the recorder in front of it): the upstream a CLI would call directly.
        bash(["mkdir -p attack", ...portsOf(scene).map(probe)].join("\n")),
        bash(
          `{ echo "== env"; env; for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do echo "== $f $(tr '\\0' ' ' < "\${f%/*}/cmdline" 2>/dev/null | cut -c1-200)"; tr '\\0' '\\n' < "$f" 2>/dev/null; done; } > attack/secrets.txt; wc -l attack/secrets.txt`,
        ),
        bash(`echo pwned > ${outsideTmp} 2>/dev/null; echo pwned > ${scene.repo}/${mark}-outside 2>/dev/null; echo tried`),
        bash(
          `setsid sh -c 'sleep 300; : ${mark}-survivor' </dev/null >/dev/null 2>&1 & (sh -c 'sleep 300; : ${mark}-double' </dev/null >/dev/null 2>&1 &) ; env -i sh -c 'sleep 300; : ${mark}-noenv' </dev/null >/dev/null 2>&1 & echo started`,
        ),
        bash(`i=0; while [ $i -lt 150 ]; do (sh -c 'sleep 30; : ${mark}-flood' </dev/null >/dev/null 2>&1 &) 2>>attack/fork-errors.txt; i=$((i+1)); done; echo forked`),
        ...(testCase.isolates ? [bash(`dd if=/dev/zero of=/tmp/flood bs=1M count=1500 2>attack/disk.txt; echo "exit $?" >> attack/disk.txt; rm -f /tmp/flood`)] : []),
        bash("echo PUSHPALS_SUBMIT && echo 'tried everything'"),
      ]);
      const { job, finished } = await runJob(scene, "Attack the host.");
      expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
      const sha = finished.result?.kind.case === "job" ? finished.result.kind.value.sha : "";
      const attackFile = (name: string) => git(scene.repo, "show", `${sha}:attack/${name}`).catch(() => "");

      // Secrets: not in the sandbox's environment, not in any /proc it can read, not in the job's output.
      const seen = await attackFile("secrets.txt");
      expect(seen.length, "the secrets scan read something").toBeGreaterThan(0);
      const leakingSources = seen
        .split("\n== ")
        .filter((section) => leakedIn(section, secrets).length > 0)
        .map((section) => section.split("\n")[0]);
      expect(leakingSources, "where the sandbox could read secrets").toEqual([]);
      const logText = (await jobLog(scene, job.id)).map((line) => line.text).join("\n");
      expect(leakedIn(logText, secrets)).toEqual([]);
      const events = JSON.stringify(
        (await itemEvents(scene, job.id)).map((event) => event.payload.value),
        (_, v: unknown) => (typeof v === "bigint" ? String(v) : v),
      );
      expect(leakedIn(events, secrets)).toEqual([]);
      // The model was asked with the runner's key, which the sandbox never saw.
      expect(upstream!.seen.length).toBeGreaterThan(0);
      expect(upstream!.seen.every((request) => request.authorization === `Bearer ${secrets.PUSHPALS_LLM_API_KEY}`)).toBe(true);

      if (testCase.isolates) {
        const network = (await attackFile("network.txt")).trim().split("\n");
        expect(network).toEqual(portsOf(scene).map((port) => `${port} BLOCKED`));
        expect(existsSync(outsideTmp), "a write to the host's /tmp").toBe(false);
        expect(existsSync(join(scene.repo, `${mark}-outside`)), "a write into the person's checkout").toBe(false);
        const disk = await attackFile("disk.txt");
        expect(disk, "a 1.5 GB /tmp flood must hit a limit").not.toMatch(/exit 0\s*$/);
      }

      // Survivors and the flood: gone once the job ended, whatever session or environment they took.
      expect(await eventually("survivors", () => hostProcessesWith(mark))).toEqual([]);

      // PushPals itself keeps running: a runner on the same repository does an ordinary job next.
      await runner!.stop();
      await upstream!.close();
      await model!.close();
      upstream = await recordingUpstream(() => model!.url);
      model = await startScriptedModelServer({ script: [bash("echo fine > ok.txt"), bash("echo PUSHPALS_SUBMIT && echo ok")] });
      runner = await startAttackedRunner(scene);
      const after = await runJob(scene, "Write ok.txt.");
      expect(after.finished.status, after.finished.lastError).toBe(ItemStatus.COMPLETED);
    }, 240_000);

    it("planting git config and hooks in the person's repository is refused or undone, and never runs", async () => {
      const marker = `/tmp/${mark}-git-ran`;
      const scene = await start(() => [
        bash(
          [
            `common=$(git rev-parse --git-common-dir)`,
            `git config core.fsmonitor 'touch ${marker}' 2>&1`,
            `printf '#!/bin/sh\\ntouch ${marker}\\n' > "$common/hooks/pre-commit" 2>&1 && chmod +x "$common/hooks/pre-commit"`,
            `echo '[filter "x"]' >> "$common/config" 2>&1`,
            `echo tried`,
          ].join("\n"),
        ),
        bash("echo PUSHPALS_SUBMIT && echo planted"),
      ]);
      const { finished } = await runJob(scene, "Plant things in .git.");
      if (!testCase.isolates) {
        // No isolation: the write happened, so the runner's guard undid it and failed the job for good.
        expect(finished.status).toBe(ItemStatus.FAILED);
        expect(finished.lastError).toMatch(/config/);
        expect(finished.lastError).toMatch(/hooks/);
      }
      const config = await readFile(join(scene.repo, ".git", "config"), "utf8");
      expect(config).not.toContain("fsmonitor");
      expect(config).not.toContain('[filter "x"]');
      expect(existsSync(join(scene.repo, ".git", "hooks", "pre-commit"))).toBe(false);
      await git(scene.repo, "status");
      await git(scene.repo, "commit", "--allow-empty", "-m", "the person commits");
      expect(existsSync(marker), "a planted program ran").toBe(false);
    }, 120_000);
  });
}
