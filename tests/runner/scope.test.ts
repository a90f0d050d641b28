import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { commitsOfJob, completions, createScene, enqueueJob, jobBranchTip, startRunner, waitForStatus, type InProcessRunner, type Scene, type TaskInit } from "./support.js";

describe("the plan's write scope", () => {
  let scene: Scene;
  let runner: InProcessRunner;

  beforeAll(async () => {
    scene = await createScene();
    runner = startRunner(scene);
  });
  afterAll(async () => {
    await runner.stop();
    await scene.remove();
  });

  async function runToEnd(task: TaskInit) {
    const job = await enqueueJob(scene, task);
    return { job, finished: await waitForStatus(scene, job.id) };
  }

  async function expectNothingKept(jobId: string) {
    expect(await commitsOfJob(scene.repo, jobId)).toEqual([]);
    expect(["", scene.baseSha]).toContain(await jobBranchTip(scene.repo, `agent/${scene.workerId}/${jobId}`));
    expect((await completions(scene)).filter((c) => c.parentId === jobId)).toEqual([]);
  }

  it("commits a change inside write_globs and outside forbidden_globs", async () => {
    const { finished } = await runToEnd({
      instruction: "echo more >> src/app.txt && mkdir -p src/new && echo n > src/new/n.txt",
      planning: { scope: { writeAllowed: true, writeGlobs: ["src/**"], forbiddenGlobs: ["src/secret/**"], maxFilesToEdit: 2 } },
    });
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
  });

  it("fails writes outside write_globs, naming exactly those paths (a deletion counts too)", async () => {
    const { job, finished } = await runToEnd({
      instruction: "echo x >> src/app.txt && echo y > notes.txt && rm docs/guide.md",
      planning: { scope: { writeAllowed: true, writeGlobs: ["src/**"] } },
    });
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/outside write_globs \[src\/\*\*\]: (docs\/guide\.md, notes\.txt|notes\.txt, docs\/guide\.md)/);
    expect(finished.lastError).not.toMatch(/src\/app\.txt/);
    await expectNothingKept(job.id);
  });

  it("fails writes into forbidden_globs even when write_globs allow them, dot files included", async () => {
    const { job, finished } = await runToEnd({
      instruction: "echo x > src/.env && echo ok >> src/app.txt",
      planning: { scope: { writeAllowed: true, writeGlobs: ["src/"], forbiddenGlobs: ["**/.env"] } },
    });
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/inside forbidden_globs \[\*\*\/\.env\]: src\/\.env($|[.;])/);
    await expectNothingKept(job.id);
  });

  it("fails more files than max_files_to_edit, saying how many", async () => {
    const { job, finished } = await runToEnd({
      instruction: "touch a b c",
      planning: { scope: { writeAllowed: true, maxFilesToEdit: 2 } },
    });
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/3 files changed but max_files_to_edit is 2: a, b, c/);
    await expectNothingKept(job.id);
  });

  it("fails any write when the plan allows none", async () => {
    const { job, finished } = await runToEnd({ instruction: "echo x >> README.md", planning: { scope: { writeAllowed: false } } });
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/allows no writes \(write_allowed is false\) but the job changed: README\.md/);
    await expectNothingKept(job.id);
  });

  it("a plan cannot widen the operator's [policy]: write_globs naming .github/** still cannot write a workflow", async () => {
    const { job, finished } = await runToEnd({
      instruction: "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/ci.yml && echo ok > .github/CODEOWNERS",
      planning: { scope: { writeAllowed: true, writeGlobs: [".github/**"] } },
    });
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(
      /^the operator's \[policy\] forbids paths matching forbidden_globs "\.github\/workflows\/\*\*": \.github\/workflows\/ci\.yml — nothing was committed/,
    );
    expect(finished.lastError).not.toMatch(/CODEOWNERS/);
    await expectNothingKept(job.id);
  });

  it("the policy only sets the outer bound: a plan's narrower scope still fails what the policy allows", async () => {
    const { job, finished } = await runToEnd({
      instruction: "ln -s app.txt src/link && echo x > docs/extra.md",
      planning: { scope: { writeAllowed: true, writeGlobs: ["src/**"] } },
    });
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/outside write_globs \[src\/\*\*\]: docs\/extra\.md/);
    expect(finished.lastError).not.toMatch(/\[policy\]/);
    await expectNothingKept(job.id);
  });

  it("leaves .gitignore'd output out of the change and the scope check", async () => {
    const { finished } = await runToEnd({
      instruction: "printf 'build/\\n' > .gitignore && mkdir build && echo artefact > build/out.bin",
      planning: { scope: { writeAllowed: true, writeGlobs: [".gitignore"] } },
    });
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    const result = finished.result?.kind.case === "job" ? finished.result.kind.value : undefined;
    expect(result?.changedFiles).toEqual([".gitignore"]);
  });
});
