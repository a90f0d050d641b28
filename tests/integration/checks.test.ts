import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunCheck } from "../../services/integration/index.js";
import { hostRunCheck } from "../../services/integration/checks/host-run-check.js";
import { sandboxRunCheck } from "../../services/integration/checks/sandbox-run-check.js";
import { createProcessDriver } from "../../sandbox/process-driver.js";
import { tempDir } from "../support/tmp.js";
import type { CheckSpec } from "../../services/integration/settings.js";
import { checkFailureMessage } from "../../services/integration/worker/check-failure.js";
import { isClean } from "../../services/integration/worktree.js";
import { durationMs } from "../../shared/time.js";
import { longMochaRun } from "../fixtures/test-runner-output/long-mocha-run.js";
import { git } from "../support/git.js";
import { expectKind } from "./support/outcome.js";
import { useScene } from "./support/use-scene.js";

describe("checks on the merged tree", () => {
  const { scene, open: openWith } = useScene();
  const open = (checks: CheckSpec[], runCheck?: RunCheck) => openWith({ checks }, { runCheck });

  it("runs every check in the merged tree and pushes when all pass", async () => {
    const int = await open([
      { name: "has-file", command: "test -f a.txt && echo found a.txt", timeoutMs: 10_000 },
      { name: "has-base", command: "grep -q scratch README.md", timeoutMs: 10_000 },
    ]);
    const job = await scene.job({ "a.txt": "a\n" });
    const steps: string[] = [];
    const merged = expectKind(
      await int.integrate(job, { onProgress: (p) => void (p.case === "integrationStep" && p.value.stage === "check" && steps.push(p.value.detail)) }),
      "merged",
    );
    expect(steps).toEqual(["running has-file: test -f a.txt && echo found a.txt", "has-file passed", "running has-base: grep -q scratch README.md", "has-base passed"]);
    expect(merged.result.checks.map((c) => [c.name, c.passed, c.exitCode])).toEqual([
      ["has-file", true, 0],
      ["has-base", true, 0],
    ]);
    expect(merged.result.checks[0]?.outputTail).toBe("found a.txt\n");
    expect(merged.result.checks[0]?.command).toBe("test -f a.txt && echo found a.txt");
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);
    // Each result names the tree it ran on (how autonomy tells a flaky check from a broken change).
    const mergedTree = await git(scene.repo, "rev-parse", `${merged.result.mergedSha}^{tree}`);
    expect(merged.result.checks.map((c) => c.tree)).toEqual([mergedTree, mergedTree]);
  });

  it("a failing check leaves main_agents unchanged locally and on the remote and returns the output", async () => {
    const int = await open([
      { name: "ok", command: "true", timeoutMs: 10_000 },
      { name: "unit", command: "echo compiling; echo 'boom: a.txt is wrong' >&2; exit 3", timeoutMs: 10_000 },
      { name: "never", command: "touch never-ran", timeoutMs: 10_000 },
    ]);
    const first = await scene.job({ "keep.txt": "k\n" });
    const failed = expectKind(await int.integrate(first), "checks_failed");
    // Nothing was ever merged: no integration branch on the remote yet.
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe("");
    expect(failed.failed.name).toBe("unit");
    expect(failed.checks.map((c) => c.name)).toEqual(["ok", "unit"]); // stops at the first failure
    expect(failed.failed.exitCode).toBe(3);
    expect(failed.checks.map((c) => c.tree)).toEqual([expect.stringMatching(/^[0-9a-f]{40}$/), failed.checks[0]!.tree]);
    expect(failed.failed.passed).toBe(false);
    expect(failed.failed.outputTail).toContain("compiling");
    expect(failed.failed.outputTail).toContain("boom: a.txt is wrong");
    expect(await isClean(int.worktree)).toBe(true);
    expect(existsSync(join(int.worktree, "never-ran"))).toBe(false);
  });

  it("a failing suite's summary lines, from the middle of a long output, come first in the check's output and the failure message", async () => {
    const output = longMochaRun();
    const int = await open([{ name: "unit", command: "cat mocha-output.txt; exit 1", timeoutMs: 10_000 }]);
    const job = await scene.job({ "mocha-output.txt": output });
    const failed = expectKind(await int.integrate(job), "checks_failed");

    // The head and tail the window keeps hold stack frames and passing tests, not the counts.
    expect(output.slice(0, 4096) + output.slice(-12 * 1024)).not.toContain("55 failing");
    const text = failed.failed.outputTail;
    expect(text).toMatch(
      /^--- summary lines \(picked from the whole output\) ---\n1,200 passing \(3s\)\n55 failing\nError: expected 200 "OK", got 404 "Not Found"\n--- output \(head and tail\) ---\n/,
    );
    expect(text).toContain("characters omitted");
    const message = checkFailureMessage(failed.failed, job);
    expect(message).toMatch(/^check unit \(cat mocha-output.txt; exit 1\) failed with exit code 1 on the merged tree of .*; nothing was merged\. .*\n--- summary lines/);
    expect(message.indexOf("55 failing")).toBeLessThan(message.indexOf("at process.processImmediate"));
  });

  it("both check runners pick the summary lines as output streams, a line cut between chunks joined within its own stream", async () => {
    const groups = await tempDir("pushpals-check-groups-");
    try {
      const command = "printf '55 fai'; sleep 0.1; printf 'Error: boo' >&2; sleep 0.1; printf 'ling\\n'; sleep 0.1; printf 'm\\n' >&2; exit 1";
      const sandboxed = sandboxRunCheck({ driver: createProcessDriver({ groupsDir: groups.path }), owner: "integration-test", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
      for (const runCheck of [hostRunCheck, sandboxed]) {
        const run = await runCheck(command, { cwd: scene.root, timeoutMs: 10_000 });
        expect(run.exitCode).toBe(1);
        expect(new Set(run.summary)).toEqual(new Set(["55 failing", "Error: boom"]));
      }
    } finally {
      await groups.remove();
    }
  });

  it("after a failed check the integration branch stays where the last good merge left it", async () => {
    const good = await scene.job({ "good.txt": "g\n" });
    const bad = await scene.job({ "bad.txt": "b\n" });
    const int = await open([{ name: "no-bad", command: "test ! -f bad.txt || { echo bad.txt present; exit 1; }", timeoutMs: 10_000 }]);
    const merged = expectKind(await int.integrate(good), "merged");
    const failed = expectKind(await int.integrate(bad), "checks_failed");
    expect(failed.failed.outputTail).toContain("bad.txt present");
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);
    expect(await git(scene.repo, "rev-parse", "refs/heads/main_agents")).toBe(merged.result.mergedSha);
    expect(await isClean(int.worktree)).toBe(true);
  });

  it("a check that runs past its timeout is killed with its whole process group and reported timed out", async () => {
    const pidFile = join(scene.root, "grandchild.pid");
    const int = await open([{ name: "hangs", command: `sh -c 'echo $$ > ${pidFile}; exec sleep 30' & wait`, timeoutMs: 400 }]);
    const job = await scene.job({ "a.txt": "a\n" });
    const started = Date.now();
    const failed = expectKind(await int.integrate(job), "checks_failed");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(failed.failed.timedOut).toBe(true);
    expect(failed.failed.outputTail).toContain("timed out after 400 ms");
    expect(durationMs(failed.failed.duration)).toBeGreaterThanOrEqual(400);
    const grandchild = Number(await readFile(pidFile, "utf8"));
    await until(() => !running(grandchild), 3000);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe("");
  });

  it("checks go through the injected runner with the worktree, the timeout and the signal", async () => {
    const calls: Array<{ command: string; cwd: string; timeoutMs: number; hasSignal: boolean; files: string }> = [];
    const runCheck: RunCheck = async (command, options) => {
      calls.push({ ...options, command, hasSignal: options.signal !== undefined, files: await git(options.cwd, "ls-files") } as never);
      return { exitCode: 0, output: "sandboxed ok", timedOut: false, durationMs: 5 };
    };
    const int = await open([{ name: "lint", command: "npm run lint", timeoutMs: 1234 }], runCheck);
    const job = await scene.job({ "a.txt": "a\n" });
    const controller = new AbortController();
    const merged = expectKind(await int.integrate(job, { signal: controller.signal }), "merged");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ command: "npm run lint", cwd: int.worktree, timeoutMs: 1234, hasSignal: true });
    expect(calls[0]?.files.split("\n")).toContain("a.txt");
    expect(merged.result.checks[0]?.outputTail).toBe("sandboxed ok");
  });

  it("aborting during a check kills it, merges nothing and returns a retryable cancel", async () => {
    const started = join(scene.root, "started");
    const int = await open([{ name: "slow", command: `touch ${started}; sleep 30`, timeoutMs: 60_000 }]);
    const job = await scene.job({ "a.txt": "a\n" });
    const controller = new AbortController();
    const pending = int.integrate(job, { signal: controller.signal });
    await until(() => existsSync(started));
    controller.abort();
    const outcome = expectKind(await pending, "error");
    expect(outcome.retryable).toBe(true);
    expect(outcome.error.rawMessage).toMatch(/cancelled/);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe("");
    expect(await isClean(int.worktree)).toBe(true);
  });
});

/** Running, not merely a zombie waiting for its reaper. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
