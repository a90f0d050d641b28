import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { git } from "../support/git.js";
import { logProblems } from "../support/json-log.js";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const run = promisify(execFile);

describe("pushpals demo", () => {
  let dir: TempDir | undefined;
  afterAll(() => dir?.remove());

  it("turns 'fix the failing test' into a merged, pushed commit whose test passes, naming each stage", async () => {
    dir = await tempDir("pushpals-demo-test-");
    const started = Date.now();
    const { stdout, stderr } = await run(process.execPath, [PUSHPALS_BIN, "demo", "--dir", dir.path], {
      env: { ...process.env, NO_COLOR: "1", PUSHPALS_LOG_LEVEL: "info" },
      timeout: 60_000,
    });
    const seconds = (Date.now() - started) / 1000;

    // Each stage of a job's life, in order.
    const stages = [
      /request req_\S+ queued/,
      /^plan: intent code change/m,
      /job job_\S+ started on/,
      /step 1: \$ node test\.js/,
      /check ✓ node test\.js/,
      /commit 7\/8/,
      /integration check ✓ test/,
      /merged into main_agents, pushed/,
      /demo · done in/,
    ];
    let from = 0;
    for (const stage of stages) {
      const match = stage.exec(stdout.slice(from));
      expect(match, `stage ${stage} after offset ${from} in:\n${stdout}`).not.toBeNull();
      from += match!.index + match![0].length;
    }

    // The integration branch (locally and on the bare remote) holds the fix, and its test passes.
    const repo = `${dir.path}/repo`;
    const remoteHead = await git(dir.path, "--git-dir", "origin.git", "rev-parse", "main_agents");
    expect(await git(repo, "rev-parse", "main_agents")).toBe(remoteHead);
    expect(await git(repo, "show", "main_agents:src/math.js")).toContain("return a + b;");
    expect(await git(repo, "log", "-1", "--format=%B", "main_agents")).toMatch(/PushPals-Job: job_/);
    const checkout = `${dir.path}/check`;
    await git(repo, "worktree", "add", "--detach", checkout, "main_agents");
    const test = await run(process.execPath, ["test.js"], { cwd: checkout });
    expect(test.stdout).toContain("ok add(2, 3) = 5");
    expect(seconds).toBeLessThan(30);

    // Every service's JSON logs: each key once, and every line about work names its session.
    const logs = stderr.split("\n");
    expect(logs.filter((line) => line.startsWith("{")).length).toBeGreaterThan(30);
    expect(logProblems(logs)).toEqual([]);
  }, 90_000);
});
