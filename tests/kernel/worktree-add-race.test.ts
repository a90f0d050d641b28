import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addWorktreeRetryingRace } from "../../services/kernel/worktree-add-race.js";
import { GitCommandError, workspaceGit } from "../../supervisor/workspace/git.js";
import { initRepo } from "../support/git.js";
import { tempDir } from "../support/tmp.js";

// git 2.39's words when a concurrent `worktree remove` of the last worktree emptied and removed
// .git/worktrees under a `worktree add` (seen in CI: the integration worker opening its
// worktree while a test removed a job's).
const LOST_RACE = "fatal: could not create directory of '.git/worktrees/integration': No such file or directory";

describe("git worktree add, again when a concurrent remove took .git/worktrees away", () => {
  it("runs the add again after that failure and returns what the retry made", async () => {
    let calls = 0;
    const made = await addWorktreeRetryingRace(async () => {
      if (++calls === 1) throw new GitCommandError(["worktree", "add"], 128, LOST_RACE);
      return "made";
    });
    expect([made, calls]).toEqual(["made", 2]);
  });

  it("gives up after three attempts with git's error", async () => {
    let calls = 0;
    const failing = addWorktreeRetryingRace(async () => {
      calls++;
      throw new GitCommandError(["worktree", "add"], 128, LOST_RACE);
    });
    await expect(failing).rejects.toThrow(/could not create directory of '\.git\/worktrees\/integration'/);
    expect(calls).toBe(3);
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
      const adding = addWorktreeRetryingRace(() => {
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
