import { describe, expect, it } from "vitest";
import { openIntegrator } from "../../services/integration/index.js";
import { git } from "../support/git.js";
import { expectKind } from "./support/outcome.js";
import { history } from "./support/scene.js";
import { useScene } from "./support/use-scene.js";

describe("idempotency", () => {
  const { scene, open } = useScene();

  it("the same completion processed twice merges once; the second run reports already_merged", async () => {
    const int = await open();
    const job = await scene.job({ "a.txt": "a\n" });
    const merged = expectKind(await int.integrate(job), "merged");
    const again = expectKind(await int.integrate(job), "already_merged");
    expect(again.result.alreadyMerged).toBe(true);
    expect(again.result.mergedSha).toBe(merged.result.mergedSha);
    const log = await history(scene.remote, "main_agents");
    expect(log.filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);
  });

  it("two concurrent calls for one completion are serialized: one merge, one already_merged", async () => {
    const int = await open();
    const job = await scene.job({ "a.txt": "a\n" });
    const outcomes = await Promise.all([int.integrate(job), int.integrate(job)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(["already_merged", "merged"]);
    expect((await history(scene.remote, "main_agents")).filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);
  });

  it("a new integrator on the same data dir (a restart) recognises the merge from the branch history", async () => {
    const job = await scene.job({ "a.txt": "a\n" });
    const first = await open({ strategy: "no-ff" });
    expectKind(await first.integrate(job), "merged");
    await first.close();
    const second = await open({ strategy: "no-ff" });
    expectKind(await second.integrate(job), "already_merged");
    // The merge commit on main_agents' own line; the job's commit is its second parent.
    const line = await history(scene.remote, "main_agents", { firstParent: true });
    expect(line.filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);
    expect(line.map((c) => c.parents)).toEqual([2, 0]); // the merge, then main's root commit
  });

  it("ff-only commits without a trailer are recognised as merged by ancestry", async () => {
    const int = await open({ strategy: "ff-only" });
    const job = await scene.job({ "a.txt": "a\n" }, { noTrailer: true });
    expectKind(await int.integrate(job), "merged");
    const again = expectKind(await int.integrate(job), "already_merged");
    expect(again.result.mergedSha).toBe(job.sha);
  });

  it("a job id merely mentioned in another commit's message does not count as merged", async () => {
    const int = await open();
    const job = await scene.job({ "a.txt": "a\n" });
    const mention = await scene.job({ "b.txt": "b\n" }, { message: `Follow-up to ${job.jobId}, which is not merged yet` });
    expectKind(await int.integrate(mention), "merged");
    expectKind(await int.integrate(job), "merged");
  });

  it("a second integrator on the same data dir is refused while the first is open", async () => {
    await open();
    await expect(openIntegrator({ settings: scene.settings() })).rejects.toThrow(/already held by an integrator in this process/);
    expect(await git(scene.repo, "worktree", "list")).toContain("data/integration");
  });
});
