import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../sandbox/bwrap-driver.js";
import { commitsOfJob, completions, createScene, enqueueJob, itemEvents, startRunner, waitForStatus, type InProcessRunner, type Scene } from "../runner/support.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { waitFor } from "../sandbox/fixtures.js";
import { git } from "../support/git.js";

/** The repository's git control files as they are now: what a job must leave as it found. */
async function controlFiles(repo: string): Promise<Record<string, string | null>> {
  const read = (path: string) => readFile(join(repo, ".git", path), "utf8").catch(() => null);
  const files: Record<string, string | null> = {};
  for (const path of ["config", "config.worktree", "info/attributes", "info/exclude"]) files[path] = await read(path);
  for (const hook of await readdir(join(repo, ".git", "hooks"))) files[`hooks/${hook}`] = await read(`hooks/${hook}`);
  return files;
}

/**
 * Shell that plants each way of making a later git run a program: a hook, core.fsmonitor, a
 * clean filter through info/attributes, and the job worktree's own config.worktree. Each would
 * touch `marker`.
 */
function tamper(marker: string): string {
  return [
    'common="$(git rev-parse --git-common-dir)"',
    `printf '#!/bin/sh\\ntouch ${marker}\\n' > "$common/hooks/pre-commit"`,
    'chmod +x "$common/hooks/pre-commit"',
    `git config core.fsmonitor "touch ${marker}"`,
    `echo '* filter=evil' >> "$common/info/attributes"`,
    `git config filter.evil.clean "touch ${marker}; cat"`,
    `printf '[core]\\n\\tfsmonitor = touch ${marker}\\n' > "$(git rev-parse --git-dir)/config.worktree"`,
    "echo changed >> README.md",
    "echo planted",
  ].join(" && ");
}

function expectNamed(error: string): void {
  expect(error).toMatch(/changed the repository's git control files/);
  for (const path of [".git/config", ".git/hooks/pre-commit", ".git/info/attributes", /\.git\/worktrees\/[^,\s]+\/config\.worktree/]) expect(error).toMatch(path);
  expect(error).toMatch(/restored/);
}

describe("the runner's guard over the repository's git control files (process driver)", () => {
  let scene: Scene;
  let runner: InProcessRunner | undefined;
  let model: ScriptedModelServer | undefined;
  let marker: string;
  let before: Record<string, string | null>;

  beforeEach(async () => {
    scene = await createScene();
    marker = join(scene.dir.path, "a-planted-program-ran");
    before = await controlFiles(scene.repo);
  });
  afterEach(async () => {
    await runner?.stop();
    await model?.close();
    await scene.remove();
    runner = model = undefined;
  });

  async function expectRestored() {
    expect(await controlFiles(scene.repo)).toEqual(before);
    await git(scene.repo, "status", "--porcelain");
    expect(existsSync(marker), "a planted program ran").toBe(false);
  }

  it("a worker job that plants a hook, core.fsmonitor, a filter and a worktree config fails for good naming each; all is restored and none ever runs", async () => {
    model = await startScriptedModelServer({
      script: [
        { content: `THOUGHT: make git run my program later.\n\n\`\`\`bash\n${tamper(marker)}\n\`\`\`` },
        { match: { role: "user", contains: "planted" }, content: "```bash\necho PUSHPALS_SUBMIT && echo 'improved the README'\n```" },
      ],
    });
    runner = startRunner(scene, { "llm.baseUrl": model.url, "llm.model": "scripted-agent", "llm.maxRetries": 0 });
    const job = await enqueueJob(
      scene,
      { lane: Lane.WORKER, instruction: "Improve the README.", planning: { scope: { writeAllowed: true, writeGlobs: ["README.md"] } } },
      { maxAttempts: 3 },
    );
    const failed = await waitForStatus(scene, job.id, undefined, 30_000);
    expect(failed.status).toBe(ItemStatus.FAILED);
    expect(failed.attempts).toBe(1);
    expectNamed(failed.lastError);
    await expectRestored();
    expect(await commitsOfJob(scene.repo, job.id)).toEqual([]);
    expect(await completions(scene)).toEqual([]);
    const errors = (await itemEvents(scene, job.id)).flatMap((event) => (event.payload.case === "error" ? [event.payload.value.message] : []));
    expect(errors).toHaveLength(1);
    expectNamed(errors[0]!);
  });

  it("a job that tampers and then fails for another reason is failed for the tampering, and restored", async () => {
    runner = startRunner(scene);
    const job = await enqueueJob(scene, { instruction: `${tamper(marker)} && exit 3` }, { maxAttempts: 3 });
    const failed = await waitForStatus(scene, job.id);
    expect(failed.status).toBe(ItemStatus.FAILED);
    expect(failed.attempts).toBe(1);
    expectNamed(failed.lastError);
    await expectRestored();
  });

  it("what the person changes between jobs stays, and a job that touches nothing completes", async () => {
    runner = startRunner(scene);
    const first = await enqueueJob(scene, { instruction: "echo one > one.txt" });
    expect((await waitForStatus(scene, first.id)).status).toBe(ItemStatus.COMPLETED);
    await git(scene.repo, "config", "user.name", "Someone Else");
    await writeFile(join(scene.repo, ".git", "info", "exclude"), "*.log\n");
    const second = await enqueueJob(scene, { instruction: "echo two > two.txt" });
    const finished = await waitForStatus(scene, second.id);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    expect(await git(scene.repo, "config", "user.name")).toBe("Someone Else");
    expect(await readFile(join(scene.repo, ".git", "info", "exclude"), "utf8")).toBe("*.log\n");
  });

  it("a change made while two jobs ran fails both, since without isolation nothing tells whose it was, and is restored once", async () => {
    runner = startRunner(scene); // two jobs at once (runner.concurrency defaults to 2)
    const started = join(scene.dir.path, "bystander-started");
    const go = join(scene.dir.path, "bystander-may-finish");
    const bystander = await enqueueJob(scene, { instruction: `touch ${started}; while [ ! -e ${go} ]; do sleep 0.05; done; echo b > b.txt` });
    await waitFor("the bystander job to run", () => existsSync(started), 20_000);
    const culprit = await enqueueJob(scene, { instruction: `git config core.fsmonitor "touch ${marker}" && echo a > a.txt` });
    const culpritEnd = await waitForStatus(scene, culprit.id);
    expect(culpritEnd.status).toBe(ItemStatus.FAILED);
    expect(culpritEnd.lastError).toMatch(/\.git\/config/);
    await writeFile(go, "");
    const bystanderEnd = await waitForStatus(scene, bystander.id);
    expect(bystanderEnd.status).toBe(ItemStatus.FAILED);
    expect(bystanderEnd.lastError).toMatch(/\.git\/config/);
    expect(bystanderEnd.lastError).toMatch(/another job running at the same time may have made the change/);
    await expectRestored();
    expect(await commitsOfJob(scene.repo, bystander.id)).toEqual([]);
  });
});

const bwrap = { name: "bubblewrap (bwrap)", available: await createBwrapDriver().available(), howToGet: INSTALL_BWRAP_HINT };

describeIfAvailable("the runner's guard over the repository's git control files (bwrap driver)", bwrap, () => {
  let scene: Scene;
  let runner: InProcessRunner | undefined;

  beforeEach(async () => {
    scene = await createScene();
  });
  afterEach(async () => {
    await runner?.stop();
    await scene.remove();
    runner = undefined;
  });

  it("the sandbox cannot write .git at all, so the job ends as its script says and nothing needs restoring", async () => {
    runner = startRunner(scene, { "runner.driver": "bwrap" });
    const before = await controlFiles(scene.repo);
    const job = await enqueueJob(scene, { instruction: `(${tamper(join(scene.dir.path, "ran"))}) 2>&1 | tail -1; echo done > done.txt` });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    expect(await controlFiles(scene.repo)).toEqual(before);
  });
});
