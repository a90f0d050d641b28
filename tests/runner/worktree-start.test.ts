import { rm } from "node:fs/promises";
import { join, sep } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { packageRoot } from "../../shared/paths.js";
import { git } from "../support/git.js";
import { createScene, enqueueJob, itemEvents, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";
import { JobStage } from "../../gen/pushpals/v1/kinds_pb.js";

/** A job's script: serves a file of its own worktree with `send` (which answers 404 for any dot segment) and fetches it. */
const SERVE_CHECK = `
import { createRequire } from "node:module";
import http from "node:http";
import { join } from "node:path";
const send = createRequire(import.meta.url)(${JSON.stringify(join(packageRoot(), "node_modules", "send"))});
const file = join(process.cwd(), "public", "hello.txt");
const server = http.createServer((req, res) => send(req, file).pipe(res)).listen(0, "127.0.0.1", async () => {
  const response = await fetch("http://127.0.0.1:" + server.address().port + "/");
  console.log("served", response.status, (await response.text()).trim(), "from", file);
  server.close();
  process.exitCode = response.status === 200 ? 0 : 1;
});
`;

const stages = async (scene: Scene, jobId: string) =>
  (await itemEvents(scene, jobId)).flatMap((e) => (e.payload.case === "jobProgress" && e.payload.value.stage === JobStage.WORKSPACE ? [e.payload.value.detail] : []));

describe("job worktrees: where they live and where they start", () => {
  let scene: Scene;
  let runner: InProcessRunner | undefined;
  beforeEach(async () => {
    scene = await createScene({ files: { "README.md": "# r\n", "serve-check.mjs": SERVE_CHECK, "public/hello.txt": "hello\n", "line.txt": "one\n" } });
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await scene.remove();
  });

  it("a data dir under a dot directory (like ~/.local/state) still gives worktrees without one: a dotfile-refusing server serves from it", async () => {
    const dataDir = join(scene.dir.path, "home", ".local", "state", "pushpals", "repo");
    const config = scene.config({ "storage.dataDir": dataDir });
    expect(config.storage.workDir).not.toContain(`${sep}.`);
    runner = startRunner(scene, { "storage.dataDir": dataDir, "runner.warmWorktrees": 0 });
    try {
      const job = await enqueueJob(scene, { instruction: "node serve-check.mjs && pwd > where.txt" });
      const done = await waitForStatus(scene, job.id);
      expect(done.status, done.lastError).toBe(ItemStatus.COMPLETED);
      const branch = `agent/${scene.workerId}/${job.id}`;
      const where = await git(scene.repo, "show", `${branch}:where.txt`);
      expect(where.startsWith(config.storage.workDir + sep)).toBe(true);
      expect(where.split(sep).filter((s) => s.startsWith("."))).toEqual([]);
    } finally {
      await runner.stop();
      runner = undefined;
      await rm(config.storage.workDir, { recursive: true, force: true });
    }
  });

  it("starts a job from the integration branch when it contains the base, and says so; a warm spare waits there too", async () => {
    await git(scene.repo, "branch", "main_agents", "main");
    await git(scene.repo, "checkout", "-q", "main_agents");
    await git(scene.repo, "commit", "-q", "-am", "merged", "--allow-empty");
    await (await import("node:fs/promises")).writeFile(join(scene.repo, "line.txt"), "two\n");
    await git(scene.repo, "commit", "-q", "-am", "first job's change");
    await git(scene.repo, "checkout", "-q", "main");
    const tip = await git(scene.repo, "rev-parse", "main_agents");
    runner = startRunner(scene, { "runner.warmWorktrees": 1 });
    const job = await enqueueJob(scene, { instruction: "sed -i s/two/three/ line.txt" });
    const done = await waitForStatus(scene, job.id);
    expect(done.status, done.lastError).toBe(ItemStatus.COMPLETED);
    const sha = await git(scene.repo, "rev-parse", `agent/${scene.workerId}/${job.id}`);
    expect(await git(scene.repo, "rev-parse", `${sha}^`)).toBe(tip);
    expect(await stages(scene, job.id)).toEqual([expect.stringContaining(`from main_agents at ${tip.slice(0, 12)} (the integration branch contains main`)]);
    // The refilled spare is checked out at the same start point, not at main.
    const deadline = Date.now() + 20_000;
    const spareAt = async () => {
      const blocks = (await git(scene.repo, "worktree", "list", "--porcelain")).split("\n\n");
      return blocks.find((block) => block.includes(`${scene.workerId}/spare-`))?.match(/^HEAD ([0-9a-f]+)/m)?.[1];
    };
    while ((await spareAt()) === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await spareAt()).toBe(tip);
  });

  it("falls back to the base branch, with the reason, when the integration branch is missing, lacks the base, or runner.base = base", async () => {
    runner = startRunner(scene, { "runner.warmWorktrees": 0 });
    const first = await enqueueJob(scene, { instruction: "echo a > a.txt" });
    expect((await waitForStatus(scene, first.id)).status).toBe(ItemStatus.COMPLETED);
    expect(await stages(scene, first.id)).toEqual([expect.stringMatching(/from main at [0-9a-f]{12} \(the integration branch main_agents does not exist yet\)/)]);

    await git(scene.repo, "checkout", "-q", "--orphan", "main_agents");
    await git(scene.repo, "commit", "-q", "--allow-empty", "-m", "unrelated");
    await git(scene.repo, "checkout", "-q", "-f", "main");
    const second = await enqueueJob(scene, { instruction: "echo b > b.txt" });
    expect((await waitForStatus(scene, second.id)).status).toBe(ItemStatus.COMPLETED);
    expect(await stages(scene, second.id)).toEqual([expect.stringMatching(/from main at .*does not contain main/)]);
    const sha = await git(scene.repo, "rev-parse", `agent/${scene.workerId}/${second.id}`);
    expect(await git(scene.repo, "rev-parse", `${sha}^`)).toBe(scene.baseSha);
    await runner.stop();

    await git(scene.repo, "branch", "-f", "main_agents", "main");
    runner = startRunner(scene, { "runner.warmWorktrees": 0, "runner.base": "base" });
    const third = await enqueueJob(scene, { instruction: "echo c > c.txt" });
    expect((await waitForStatus(scene, third.id)).status).toBe(ItemStatus.COMPLETED);
    expect(await stages(scene, third.id)).toEqual([expect.stringContaining('(runner.base = "base")')]);
  });
});
