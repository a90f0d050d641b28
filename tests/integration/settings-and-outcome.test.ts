import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { spawn } from "node:child_process";
import { writeFile, mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MergeOutcome } from "../../gen/pushpals/v1/integration_pb.js";
import { CheckResultSchema, CompletionResultSchema } from "../../gen/pushpals/v1/items_pb.js";
import { settingsFromConfig, toMerge } from "../../services/integration/index.js";
import { acquireWorktreeLock } from "../../services/integration/worktree-lock.js";
import { loadConfig } from "../../shared/config/load.js";
import { packageRoot } from "../../shared/paths.js";
import { fromTimestamp } from "../../shared/time.js";
import { tempDir } from "../support/tmp.js";
import { MergeStrategy } from "../../gen/pushpals/v1/kinds_pb.js";

describe("integration settings", () => {
  it("come from the config layers, the push token falling back to the GitHub token", () => {
    const configDir = join(packageRoot(), "configs");
    const config = loadConfig({
      configDir,
      cwd: "/srv/repo",
      env: { PUSHPALS_GITHUB_TOKEN: "gh-token", PUSHPALS_MERGE_STRATEGY: "no-ff", PUSHPALS_DATA_DIR: "/srv/data" },
    });
    const settings = settingsFromConfig(config);
    expect(settings).toMatchObject({
      repoPath: "/srv/repo",
      dataDir: "/srv/data",
      baseBranch: "main",
      branch: "main_agents",
      strategy: "no-ff",
      remote: "origin",
      push: { username: "x-access-token", token: "gh-token" },
    });
    const own = settingsFromConfig(loadConfig({ configDir, env: { PUSHPALS_GITHUB_TOKEN: "gh-token", PUSHPALS_GIT_PUSH_TOKEN: "push-token" } }));
    expect(own.push.token).toBe("push-token");
  });
});

describe("outcomes as Merge records", () => {
  const identity = { completionId: "cmp_1", jobId: "job_1", sessionId: "ses_1", strategy: "cherry-pick", finishedAtMs: 1_700_000_000_000 };

  it("map each kind to its MergeOutcome with what the history shows", () => {
    const check = create(CheckResultSchema, { name: "unit", passed: false, exitCode: 1 });
    const result = create(CompletionResultSchema, { mergedSha: "abc", prUrl: "https://x/pull/1", checks: [check] });
    const merged = toMerge({ kind: "merged", result, pullRequestError: "GitHub down" }, identity);
    expect(merged).toMatchObject({ outcome: MergeOutcome.MERGED, sha: "abc", prUrl: "https://x/pull/1", error: "GitHub down", completionId: "cmp_1", sessionId: "ses_1" });
    expect(fromTimestamp(merged.finishedAt)).toBe(identity.finishedAtMs);
    // The recorded strategy name becomes the wire enum in one place; a name no strategy has is unspecified.
    expect(merged.strategy).toBe(MergeStrategy.CHERRY_PICK);
    expect(toMerge({ kind: "merged", result }, { ...identity, strategy: "octopus" }).strategy).toBe(MergeStrategy.UNSPECIFIED);
    expect(toMerge({ kind: "already_merged", result }, identity).outcome).toBe(MergeOutcome.ALREADY_MERGED);
    expect(toMerge({ kind: "checks_failed", checks: [check], failed: check }, identity)).toMatchObject({ outcome: MergeOutcome.CHECKS_FAILED, error: "check unit failed" });
    expect(toMerge({ kind: "conflicted", files: ["a"], message: "conflicts in 1 file(s)", ontoRef: "main_agents", ontoSha: "def" }, identity)).toMatchObject({
      outcome: MergeOutcome.CONFLICTED,
      error: "conflicts in 1 file(s)",
    });
    const error = new ConnectError("could not push", Code.Unavailable);
    expect(toMerge({ kind: "error", stage: "push", error, retryable: true }, identity)).toMatchObject({ outcome: MergeOutcome.ERROR, error: "could not push" });
  });
});

describe("the worktree lock", () => {
  it("is refused while its holder lives, with who holds it and what to do", async () => {
    const dir = await tempDir();
    const holder = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const lock = join(dir.path, "integration.lock");
      await mkdir(dir.path, { recursive: true });
      await writeFile(lock, JSON.stringify({ pid: holder.pid, host: hostname(), since: "2026-01-01T00:00:00Z" }));
      await expect(acquireWorktreeLock(lock)).rejects.toThrow(new RegExp(`in use by pid ${holder.pid} .* stop that integrator first, or delete ${lock}`));
      holder.kill("SIGKILL");
      await new Promise((resolve) => holder.once("exit", resolve));
      const taken = await acquireWorktreeLock(lock);
      await taken.release();
    } finally {
      holder.kill("SIGKILL");
      await dir.remove();
    }
  });
});
