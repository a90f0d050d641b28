import { describe, expect, it } from "vitest";
import type { MergeStrategy } from "../../services/integration/settings.js";
import { isClean } from "../../services/integration/worktree.js";
import { git } from "../support/git.js";
import { expectKind } from "./support/outcome.js";
import { history } from "./support/scene.js";
import { useScene } from "./support/use-scene.js";
import { MergeStrategy as StrategyEnum } from "../../gen/pushpals/v1/kinds_pb.js";

describe("merge strategies", () => {
  const { scene, open: openWith } = useScene();
  const open = (strategy: MergeStrategy) => openWith({ strategy });

  it("cherry-pick replays the job's commits onto main_agents and pushes it", async () => {
    const int = await open("cherry-pick");
    const job = await scene.job({ "a.txt": "a\n" }, { more: [{ "b.txt": "b\n" }] });
    const merged = expectKind(await int.integrate(job), "merged");

    expect(merged.result.pushed).toBe(true);
    expect(merged.result.strategy).toBe(StrategyEnum.CHERRY_PICK);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);
    const log = await history(scene.remote, "main_agents");
    // Two replayed commits on top of main's initial commit, authors kept, trailer on each.
    expect(log.map((c) => c.subject)).toEqual(["Change a.txt (part 2)", "Change a.txt", "initial"]);
    expect(log[0]?.jobs).toEqual([job.jobId]);
    expect(merged.result.mergedSha).not.toBe(job.sha); // replayed, so new commits
    expect(await git(scene.remote, "show", "main_agents:b.txt")).toBe("b");
    expect(await git(scene.remote, "log", "-1", "--format=%an", "main_agents")).toBe("PushPals Test");
    expect(await isClean(int.worktree)).toBe(true);
    // The merge record travelled in the same atomic push, as a note on the new tip.
    const note = JSON.parse(await git(scene.remote, "notes", "--ref=pushpals", "show", merged.result.mergedSha)) as Record<string, unknown>;
    expect(note).toMatchObject({ version: 1, strategy: "cherry-pick", completion: { jobId: job.jobId, sha: job.sha } });
  });

  it("cherry-pick adds the job trailer when the job's commits lack it", async () => {
    const int = await open("cherry-pick");
    const job = await scene.job({ "a.txt": "a\n" }, { noTrailer: true });
    const merged = expectKind(await int.integrate(job), "merged");
    const [tip] = await history(scene.remote, "main_agents");
    expect(tip?.sha).toBe(merged.result.mergedSha);
    expect(tip?.jobs).toEqual([job.jobId]);
  });

  it("no-ff records a merge commit whose second parent is the job's sha", async () => {
    const int = await open("no-ff");
    const job = await scene.job({ "a.txt": "a\n" });
    const merged = expectKind(await int.integrate(job), "merged");

    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);
    const [tip] = await history(scene.remote, "main_agents");
    expect(tip?.parents).toBe(2);
    expect(tip?.subject).toBe(`Merge ${job.jobId}: Change a.txt`);
    expect(tip?.jobs).toEqual([job.jobId]);
    expect(await git(scene.remote, "rev-parse", "main_agents^2")).toBe(job.sha);
  });

  it("ff-only moves main_agents to the job's own sha", async () => {
    const int = await open("ff-only");
    const job = await scene.job({ "a.txt": "a\n" });
    const merged = expectKind(await int.integrate(job), "merged");
    expect(merged.result.mergedSha).toBe(job.sha);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(job.sha);
  });

  it("ff-only reports a job that no longer contains the integration tip as conflicted, with no files", async () => {
    const int = await open("ff-only");
    const first = await scene.job({ "a.txt": "a\n" });
    const second = await scene.job({ "b.txt": "b\n" }); // also starts from main, so it lacks `first`
    expectKind(await int.integrate(first), "merged");
    const conflicted = expectKind(await int.integrate(second), "conflicted");
    expect(conflicted.files).toEqual([]);
    expect(conflicted.message).toMatch(/cannot fast-forward.*rebase/);
    expect(conflicted.ontoRef).toBe("main_agents");
    expect(conflicted.ontoSha).toBe(first.sha);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(first.sha);
    expect(await isClean(int.worktree)).toBe(true);
  });

  it("jobs merge one on top of the other and the progress names every stage", async () => {
    const int = await open("cherry-pick");
    const first = await scene.job({ "a.txt": "a\n" });
    const second = await scene.job({ "b.txt": "b\n" });
    expectKind(await int.integrate(first), "merged");
    const stages: string[] = [];
    const merged = expectKind(await int.integrate(second, { onProgress: (p) => void stages.push(p.case === "integrationStep" ? p.value.stage : p.case) }), "merged");
    expect(stages).toEqual(["fetch", "sync", "apply", "push", "push"]);
    const log = await history(scene.remote, "main_agents");
    expect(log.map((c) => c.jobs[0] ?? "")).toEqual([second.jobId, first.jobId, ""]);
    expect(log[0]?.sha).toBe(merged.result.mergedSha);
  });

  it("without a remote, merges stay local and nothing is pushed", async () => {
    const integrator = await openWith({ remote: "" });
    const job = await scene.job({ "a.txt": "a\n" });
    const merged = expectKind(await integrator.integrate(job), "merged");
    expect(merged.result.pushed).toBe(false);
    expect(await git(scene.repo, "rev-parse", "refs/heads/main_agents")).toBe(merged.result.mergedSha);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe("");
  });
});
