import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { retryingWorktreeRace } from "../../shared/worktree-race.js";
import { GitCommandError, workspaceGit } from "../../services/runner/workspace/git.js";
import { initRepo } from "../support/git.js";
import { tempDir } from "../support/tmp.js";

// git 2.39's words for the two races seen in CI, where the integration worker's `worktree add`
// and a test's `worktree remove` ran on one repository at the same moment.
const ADD_LOST_THE_DIR = "fatal: could not create directory of '.git/worktrees/integration': No such file or directory";
const READ_HALF_MADE_ENTRY = "fatal: failed to read .git/worktrees/integration/commondir: Success";

describe("git worktree commands, again when they ran into another git's worktree work", () => {
  for (const [race, stderr] of [
    ["an add whose .git/worktrees was removed", ADD_LOST_THE_DIR],
    ["a remove that read a half-made entry", READ_HALF_MADE_ENTRY],
  ]) {
    it(`runs ${race} again and returns what the retry did`, async () => {
      let calls = 0;
      const done = await retryingWorktreeRace(async () => {
        if (++calls === 1) throw new GitCommandError(["worktree"], 128, stderr!);
        return "done";
      });
      expect([done, calls]).toEqual(["done", 2]);
    });
  }

  it("gives up after five attempts with git's error", async () => {
    let calls = 0;
    const failing = retryingWorktreeRace(async () => {
      calls++;
      throw new GitCommandError(["worktree", "add"], 128, ADD_LOST_THE_DIR);
    });
    await expect(failing).rejects.toThrow(/could not create directory of '\.git\/worktrees\/integration'/);
    expect(calls).toBe(5);
  });

  it("passes any other failure of a real git through at once", async () => {
    const dir = await tempDir("pushpals-worktree-race-");
    try {
      const repo = join(dir.path, "repo");
      await mkdir(repo);
      await initRepo(repo);
      const taken = join(dir.path, "taken");
      await mkdir(taken);
      await writeFile(join(taken, "file"), "not a worktree\n");
      let calls = 0;
      const adding = retryingWorktreeRace(() => {
        calls++;
        return workspaceGit(repo).raw(["worktree", "add", "--quiet", "--detach", taken, "HEAD"]);
      });
      await expect(adding).rejects.toThrow(/already exists/);
      expect(calls).toBe(1);
    } finally {
      await dir.remove();
    }
  });
});
