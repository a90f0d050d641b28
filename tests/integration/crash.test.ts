import { toJson } from "@bufbuild/protobuf";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CompletionPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { openIntegrator } from "../../services/integration/index.js";
import { packageRoot } from "../../shared/paths.js";
import { git } from "../support/git.js";
import { expectKind } from "./support/outcome.js";
import { createScene, history, type Scene } from "./support/scene.js";

describe("a crash mid-merge", () => {
  let scene: Scene;
  let checkGroup = 0;

  beforeEach(async () => {
    scene = await createScene();
  });
  afterEach(async () => {
    if (checkGroup) killGroup(checkGroup);
    await scene.remove();
  });

  it("kill -9 while a check runs leaves main_agents untouched; after a restart the job merges exactly once", async () => {
    // An earlier merge, so main_agents has a tip of its own to protect.
    const earlier = await scene.job({ "earlier.txt": "e\n" });
    const setup = await openIntegrator({ settings: scene.settings() });
    const tip = expectKind(await setup.integrate(earlier), "merged").result.mergedSha;
    await setup.close();

    const job = await scene.job({ "a.txt": "a\n" });
    const checkPid = join(scene.root, "check.pid");
    const slowSettings = scene.settings({ checks: [{ name: "slow", command: `echo $$ > ${checkPid}; exec sleep 60`, timeoutMs: 120_000 }] });
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(packageRoot(), "tests/integration/fixtures/integrate-child.ts"),
        JSON.stringify({ settings: slowSettings, completion: toJson(CompletionPayloadSchema, job) }),
      ],
      {
        cwd: packageRoot(),
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, PUSHPALS_LOG_LEVEL: "silent" },
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_, signal) => resolve(signal)));

    await until(() => existsSync(checkPid) || child.exitCode !== null, 20_000);
    expect(child.exitCode, `the child ended before its check ran: ${stderr}`).toBeNull();
    checkGroup = Number((await readFile(checkPid, "utf8")).trim()); // the check leads its own process group
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    killGroup(checkGroup); // an orphaned check is the supervisor's to reap, not this test's leftovers

    // Half-way: the job is applied on the worktree's detached HEAD, the branch has not moved.
    const worktree = join(scene.dataDir, "integration");
    expect(await git(worktree, "log", "-1", "--format=%(trailers:key=PushPals-Job,valueonly)", "HEAD")).toBe(job.jobId);
    expect(await git(scene.repo, "rev-parse", "refs/heads/main_agents")).toBe(tip);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(tip);
    expect(existsSync(join(scene.dataDir, "integration.lock"))).toBe(true);

    // Restart: the dead holder's lock is taken over, the worktree reset, the job merged once.
    const restarted = await openIntegrator({ settings: scene.settings() });
    try {
      const merged = expectKind(await restarted.integrate(job), "merged");
      expectKind(await restarted.integrate(job), "already_merged");
      const log = await history(scene.remote, "main_agents");
      expect(log.filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);
      expect(log[0]?.sha).toBe(merged.result.mergedSha);
      expect(log[1]?.sha).toBe(tip);
    } finally {
      await restarted.close();
    }
  });
});

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}
