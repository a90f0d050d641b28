import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { isClean } from "../../services/integration/worktree.js";
import { git, writeFiles } from "../support/git.js";
import { expectKind } from "./support/outcome.js";
import { history } from "./support/scene.js";
import { useScene } from "./support/use-scene.js";

describe("keeping main_agents in sync with main", () => {
  const { scene, open } = useScene();

  it("main advancing on the remote is merged into main_agents (own commits kept), then the job lands on top", async () => {
    const int = await open();
    const first = await scene.job({ "a.txt": "a\n" });
    const merged = expectKind(await int.integrate(first), "merged");
    const mainTip = await scene.advanceRemoteMain({ "from-person.txt": "p\n" });

    const second = await scene.job({ "b.txt": "b\n" });
    const details: string[] = [];
    const next = expectKind(
      await int.integrate(second, { onProgress: (p) => void (p.case === "integrationStep" && p.value.stage === "sync" && details.push(p.value.detail)) }),
      "merged",
    );
    expect(details[0]).toMatch(/merged main [0-9a-f]{12} in/);
    const remoteTip = await scene.remoteRef("refs/heads/main_agents");
    expect(remoteTip).toBe(next.result.mergedSha);
    expect(await git(scene.remote, "merge-base", "--is-ancestor", mainTip, remoteTip).then(() => true)).toBe(true);
    expect(await git(scene.remote, "merge-base", "--is-ancestor", merged.result.mergedSha, remoteTip).then(() => true)).toBe(true);
    const line = await history(scene.remote, "main_agents", { firstParent: true });
    expect(line.map((c) => c.subject)).toEqual(["Change b.txt", "Sync main into main_agents", "Change a.txt", "initial"]);
    expect(line[1]?.parents).toBe(2);
  });

  it("with no merges of its own, main_agents fast-forwards to main", async () => {
    const int = await open();
    const first = await int.sync();
    expect(first.remoteIntegration).toBe(""); // created on the remote by the first merge, not before
    await git(scene.repo, "push", "-q", "origin", "main:refs/heads/main_agents");
    expect((await int.sync()).baseSync).toBe("none");
    const mainTip = await scene.advanceRemoteMain({ "p.txt": "p\n" });
    const state = await int.sync();
    expect(state.baseSync).toBe("fast-forward");
    expect(state.integrationTip).toBe(mainTip);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(mainTip);
    expect((await int.sync()).baseSync).toBe("none");
  });

  it("main conflicting with main_agents is refused for a person to resolve, naming the files", async () => {
    const int = await open();
    const job = await scene.job({ "shared.txt": "one\nagent\nthree\n" });
    const merged = expectKind(await int.integrate(job), "merged");
    await scene.advanceRemoteMain({ "shared.txt": "one\nperson\nthree\n" });

    const next = await scene.job({ "c.txt": "c\n" });
    const failed = expectKind(await int.integrate(next), "error");
    expect(failed.error.code).toBe(Code.FailedPrecondition);
    expect(failed.retryable).toBe(false);
    expect(failed.error.rawMessage).toMatch(/main has changes that conflict with main_agents in shared\.txt; merge main into main_agents by hand/);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);
    expect(await isClean(int.worktree)).toBe(true);
  });

  it("local main_agents commits a crash left unpushed are replaced by the remote's; the job then merges once", async () => {
    const int = await open();
    const earlier = await scene.job({ "e.txt": "e\n" });
    const tip = expectKind(await int.integrate(earlier), "merged").result.mergedSha;
    const job = await scene.job({ "a.txt": "a\n" });
    // As if an integrator moved the local branch (same job, trailer and all) and died before pushing.
    const scratch = `${scene.root}/scratch`;
    await git(scene.repo, "worktree", "add", "-q", "--detach", scratch, tip);
    await git(scratch, "cherry-pick", job.sha);
    const unpushed = await git(scratch, "rev-parse", "HEAD");
    await git(scene.repo, "update-ref", "refs/heads/main_agents", unpushed, tip);
    await git(scene.repo, "worktree", "remove", "--force", scratch);

    const merged = expectKind(await int.integrate(job), "merged");
    expect(merged.result.mergedSha).not.toBe(unpushed);
    const log = await history(scene.remote, "main_agents");
    expect(log.filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);
    expect(await git(scene.repo, "rev-parse", "refs/heads/main_agents")).toBe(merged.result.mergedSha);
  });

  it("refuses to move main_agents while a person has it checked out", async () => {
    const int = await open();
    expectKind(await int.integrate(await scene.job({ "a.txt": "a\n" })), "merged");
    await git(scene.repo, "checkout", "-q", "main_agents");
    const failed = expectKind(await int.integrate(await scene.job({ "b.txt": "b\n" })), "error");
    expect(failed.error.code).toBe(Code.FailedPrecondition);
    expect(failed.error.rawMessage).toContain(`main_agents is checked out in ${scene.repo}`);
  });

  it("without a remote, the local main is the base", async () => {
    const int = await open({ remote: "" });
    expectKind(await int.integrate(await scene.job({ "a.txt": "a\n" })), "merged");
    await writeFiles(scene.repo, { "local.txt": "l\n" });
    await git(scene.repo, "add", "local.txt");
    await git(scene.repo, "commit", "-q", "-m", "local main commit");
    const mainTip = await git(scene.repo, "rev-parse", "main");
    const state = await int.sync();
    expect(state.baseSync).toBe("merge");
    expect(await git(scene.repo, "merge-base", "--is-ancestor", mainTip, "main_agents").then(() => true)).toBe(true);
  });
});
