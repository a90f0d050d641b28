import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { checkRunnerFromConfig } from "../../services/integration/checks/check-runner.js";
import { sandboxRunCheck } from "../../services/integration/checks/sandbox-run-check.js";
import { allowedEnvironment } from "../../shared/secret-environ.js";
import { loadConfig } from "../../shared/config/load.js";
import { silentLogger } from "../../shared/log.js";
import { createBwrapDriver } from "../../sandbox/bwrap-driver.js";
import { createProcessDriver } from "../../sandbox/process-driver.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { git, initRepo } from "../support/git.js";
import { loopbackProbe, type LoopbackProbe } from "../support/loopback-probe.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { isRunning, until } from "./support/service-child.js";
import { createServiceScene, type ServiceScene } from "./support/service-scene.js";

const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/tmp" };
const bwrapAvailable = await createBwrapDriver().available();

describe("checks in a sandbox (process driver)", () => {
  let dir: TempDir;
  let groupsDir: TempDir;
  const secret = "PUSHPALS_TEST_CHECK_SECRET";

  beforeAll(async () => {
    dir = await tempDir("pushpals-check-");
    groupsDir = await tempDir("pushpals-check-groups-");
    await writeFile(join(dir.path, "marker.txt"), "here\n");
    process.env[secret] = "s3cr3t";
  });
  afterAll(async () => {
    delete process.env[secret];
    await dir.remove();
    await groupsDir.remove();
  });

  const runCheck = () => sandboxRunCheck({ driver: createProcessDriver({ groupsDir: groupsDir.path }), owner: "integration-test", env: allowedEnvironment(["PATH", "HOME"]) });

  it("runs in the worktree, streams its output as it comes and returns exit code, output and duration", async () => {
    const chunks: string[] = [];
    const run = await runCheck()("cat marker.txt; echo to-stderr >&2; sleep 0.2; echo later; exit 4", {
      cwd: dir.path,
      timeoutMs: 10_000,
      runId: "cmp_01JD0000000000000000000000",
      onOutput: (chunk) => chunks.push(chunk),
    });
    expect(run.exitCode).toBe(4);
    expect(run.timedOut).toBe(false);
    expect(run.output).toContain("here");
    expect(run.output).toContain("to-stderr");
    expect(run.output.trim().endsWith("later")).toBe(true);
    expect(chunks.join("")).toBe(run.output);
    expect(chunks.length).toBeGreaterThan(1); // "later" came in a chunk of its own, after the sleep
    expect(run.durationMs).toBeGreaterThanOrEqual(200);
  });

  it("sees only the allow-listed environment: no tokens or keys of the integrator", async () => {
    const run = await runCheck()("env", { cwd: dir.path, timeoutMs: 10_000 });
    expect(run.exitCode).toBe(0);
    expect(run.output).toContain("PATH=");
    expect(run.output).not.toContain(secret);
    expect(run.output).not.toContain("s3cr3t");
  });

  it("keeps secrets out even when the allow list names them", () => {
    expect(allowedEnvironment(["PATH", "GH_TOKEN", "DB"], { PATH: "/bin", GH_TOKEN: "ghp_x", DB: "postgres://u:p@h/d" })).toEqual({ PATH: "/bin" });
  });

  it("a timeout kills the check's whole process tree, background children included", async () => {
    const pidFile = join(dir.path, "bg.pid");
    const run = await runCheck()(`sleep 30 & echo $! > ${pidFile}; sleep 30`, { cwd: dir.path, timeoutMs: 300 });
    expect(run.timedOut).toBe(true);
    expect(run.exitCode).not.toBe(0);
    const background = Number((await readFile(pidFile, "utf8")).trim());
    await until("the background sleep is gone", () => !isRunning(background), 5_000);
  });

  it("an abort kills it at once", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = runCheck()("sleep 30", { cwd: dir.path, timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const run = await running;
    expect(run.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("integration.checkDriver picks how checks run; a driver that cannot run here says what to do", async () => {
    const config = (overrides: Record<string, unknown>) => loadConfig({ env: {}, overrides: { "repo.path": dir.path, ...overrides } });
    expect((await checkRunnerFromConfig(config({ "integration.checkDriver": "host" }), "integration-test", silentLogger)).where).toBe("host");
    expect((await checkRunnerFromConfig(config({ "integration.checkDriver": "process" }), "integration-test", silentLogger)).where).toBe("process");
    const followsSupervisor = await checkRunnerFromConfig(config({ "integration.checkDriver": "runner", "runner.driver": "process" }), "integration-test", silentLogger);
    expect(followsSupervisor.where).toBe("process");
    expect(() => config({ "integration.checkDriver": "chroot" })).toThrow(/integration\.checkDriver = "chroot"/);
  });
});

describeIfAvailable("checks in a bwrap sandbox", { name: "bwrap", available: bwrapAvailable, howToGet: "install bubblewrap (apt-get install bubblewrap)" }, () => {
  let dir: TempDir;
  let repo: string;
  let worktree: string;
  let probe: LoopbackProbe;

  beforeAll(async () => {
    probe = await loopbackProbe();
    dir = await tempDir("pushpals-bwrap-check-");
    repo = join(dir.path, "repo");
    worktree = join(dir.path, "wt");
    await mkdir(repo);
    await initRepo(repo, { "a.txt": "a\n" });
    await git(repo, "worktree", "add", "-q", "--detach", worktree);
  });
  afterAll(async () => {
    await probe.close();
    await dir.remove();
  });

  const runCheck = () => sandboxRunCheck({ driver: createBwrapDriver(), owner: "integration-test", env: ENV });

  it("the network probe is real: outside a sandbox it reaches the listener", async () => {
    const driver = createProcessDriver({ groupsDir: join(dir.path, "groups") });
    const run = await sandboxRunCheck({ driver, owner: "integration-test", env: ENV })(probe.command, { cwd: worktree, timeoutMs: 10_000 });
    expect(run.output).toContain("network-reachable");
  });

  it("may write its worktree, not the system, the repository's git data or the network", async () => {
    const writes = [
      "cat a.txt",
      "echo built > build.out && echo worktree-writable",
      "touch /usr/pushpals-probe 2>/dev/null && echo system-writable",
      "git status --porcelain >/dev/null && echo git-readable",
      "git -c user.name=x -c user.email=x@x commit -q --allow-empty -m sneaky 2>/dev/null && echo git-writable",
    ].join("; ");
    const run = await runCheck()(`bash -c '${writes}'`, { cwd: worktree, timeoutMs: 20_000, runId: "cmp_01JD0000000000000000000001" });
    expect(run.output).toContain("a");
    expect(run.output).toContain("worktree-writable");
    expect(run.output).toContain("git-readable");
    expect(run.output).not.toContain("system-writable");
    expect(run.output).not.toContain("git-writable");
    expect(await git(worktree, "log", "--format=%s")).toBe("initial");
    const network = await runCheck()(probe.command, { cwd: worktree, timeoutMs: 20_000 });
    expect(network.exitCode).toBe(0);
    expect(network.output).toContain("network-unreachable");
  });
});

describeIfAvailable(
  "the integration service with checks in bwrap",
  { name: "bwrap", available: bwrapAvailable, howToGet: "install bubblewrap (apt-get install bubblewrap)" },
  () => {
    let s: ServiceScene;

    beforeAll(async () => {
      s = await createServiceScene();
    });
    afterAll(async () => {
      await s.close();
    });

    it("runs each check in a sandbox on the merged tree and merges when it passes", async () => {
      const check = { name: "merged-tree", command: "test -f a.txt && grep -q new a.txt && ! touch /usr/pushpals-probe 2>/dev/null", timeoutSeconds: 60 };
      s.startWorker({ overrides: { "integration.checkDriver": "bwrap", "integration.checks": [check] } });
      const item = await s.enqueue(await s.git.job({ "a.txt": "new\n" }));
      const done = await s.waitFor(item.id, [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER]);
      expect(done.status, done.lastError).toBe(ItemStatus.COMPLETED);
      const result = done.result?.kind.case === "completion" ? done.result.kind.value : undefined;
      expect(result?.checks.map((c) => [c.name, c.passed])).toEqual([["merged-tree", true]]);
    });
  },
);
