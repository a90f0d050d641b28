import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { MergeStrategy } from "../../services/integration/settings.js";
import { isClean, resetWorktree } from "../../services/integration/worktree.js";
import { git } from "../support/git.js";
import { expectKind } from "./support/outcome.js";
import { useScene } from "./support/use-scene.js";

describe("conflicts", () => {
  const { scene, open } = useScene();

  for (const strategy of ["cherry-pick", "no-ff"] as MergeStrategy[]) {
    it(`${strategy}: a job that conflicts is reported with its files, aborted cleanly, branch untouched`, async () => {
      const int = await open({ strategy });
      const first = await scene.job({ "shared.txt": "one\nTWO by first\nthree\n", "first.txt": "1\n" });
      const second = await scene.job({ "shared.txt": "one\nTWO by second\nthree\n", "other.txt": "o\n" });
      const merged = expectKind(await int.integrate(first), "merged");

      const conflicted = expectKind(await int.integrate(second), "conflicted");
      expect(conflicted.files).toEqual(["shared.txt"]);
      expect(conflicted.message).toMatch(/conflicts in 1 file/);
      expect(conflicted.ontoRef).toBe("main_agents");
      expect(conflicted.ontoSha).toBe(merged.result.mergedSha);
      expect(await isClean(int.worktree)).toBe(true);
      expect(await git(int.worktree, "rev-parse", "HEAD")).toBe(merged.result.mergedSha);
      const gitDir = await git(int.worktree, "rev-parse", "--absolute-git-dir");
      for (const state of ["CHERRY_PICK_HEAD", "MERGE_HEAD", "sequencer"]) expect(existsSync(join(gitDir, state))).toBe(false);
      expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);

      // The worktree is fit for the next job right away.
      const third = await scene.job({ "third.txt": "3\n" });
      expectKind(await int.integrate(third), "merged");
    });
  }

  it("reset clears what a crash leaves: half-done cherry-pick, stale index.lock, stray and ignored files", async () => {
    const int = await open();
    const a = await scene.job({ "shared.txt": "one\nA\nthree\n" });
    const b = await scene.job({ "shared.txt": "one\nB\nthree\n" }, { more: [{ "later.txt": "l\n" }] });
    const tip = await git(scene.repo, "rev-parse", "main");
    // What a killed integrator leaves behind, made by hand:
    await git(int.worktree, "cherry-pick", a.sha);
    await git(int.worktree, "cherry-pick", `${b.baseSha}..${b.sha}`).catch(() => "conflict expected");
    const gitDir = await git(int.worktree, "rev-parse", "--absolute-git-dir");
    expect(existsSync(join(gitDir, "sequencer"))).toBe(true);
    await writeFile(join(int.worktree, "stray.txt"), "stray\n");
    await writeFile(join(int.worktree, ".gitignore"), "ignored.log\n");
    await writeFile(join(int.worktree, "ignored.log"), "x\n");
    await writeFile(join(gitDir, "index.lock"), "");

    await resetWorktree(int.worktree, tip);

    expect(await isClean(int.worktree)).toBe(true);
    expect(await git(int.worktree, "rev-parse", "HEAD")).toBe(tip);
    for (const state of ["CHERRY_PICK_HEAD", "sequencer", "index.lock"]) expect(existsSync(join(gitDir, state))).toBe(false);
    expect(await git(int.worktree, "symbolic-ref", "-q", "HEAD").catch(() => "detached")).toBe("detached");
    expectKind(await int.integrate(b), "merged");
  });
});
