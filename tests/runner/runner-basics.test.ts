import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ItemStatus, LogStream } from "../../gen/pushpals/v1/common_pb.js";
import { git } from "../support/git.js";
import { commitsOfJob, completions, createScene, enqueueJob, jobBranchTip, itemEvents, jobLog, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";
import { jobWorktree } from "../../services/runner/workspace/index.js";
import { ErrorCode, JobStage } from "../../gen/pushpals/v1/kinds_pb.js";

describe("the job runner, deterministic lane", () => {
  let scene: Scene;
  let runner: InProcessRunner | undefined;

  beforeEach(async () => {
    scene = await createScene();
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await scene.remove();
  });

  it("runs the script in a worktree, commits on agent/<worker>/<job> and enqueues one completion", async () => {
    runner = startRunner(scene);
    const job = await enqueueJob(scene, { instruction: "echo hello > hello.txt && echo changed >> src/app.txt && echo done" });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);

    const branch = `agent/${scene.workerId}/${job.id}`;
    const result = finished.result?.kind.case === "job" ? finished.result.kind.value : undefined;
    expect(result?.branch).toBe(branch);
    expect(result?.changedFiles.sort()).toEqual(["hello.txt", "src/app.txt"]);
    const sha = await git(scene.repo, "rev-parse", branch);
    expect(result?.sha).toBe(sha);
    expect(await git(scene.repo, "rev-parse", `${sha}^`)).toBe(scene.baseSha);
    expect(await git(scene.repo, "show", `${sha}:hello.txt`)).toBe("hello");
    expect(await git(scene.repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", sha)).toBe("PushPals <pushpals@users.noreply.localhost>|PushPals <pushpals@users.noreply.localhost>");
    expect(await git(scene.repo, "log", "-1", "--format=%s", sha)).toContain(job.id);
    expect(await git(scene.repo, "log", "-1", "--format=%(trailers:key=PushPals-Job,valueonly)", sha)).toBe(job.id);
    expect(await commitsOfJob(scene.repo, job.id)).toEqual([sha]);

    const [completion, ...more] = await completions(scene);
    expect(more).toEqual([]);
    expect(completion?.idempotencyKey).toBe(`completion:${job.id}`);
    expect(completion?.parentId).toBe(job.id);
    expect(result?.completionId).toBe(completion?.id);
    const payload = completion?.payload?.kind.case === "completion" ? completion.payload.kind.value : undefined;
    expect(payload).toMatchObject({ jobId: job.id, branch, sha, baseSha: scene.baseSha });
    expect(payload?.changedFiles.sort()).toEqual(["hello.txt", "src/app.txt"]);

    // The worktree is gone, the branch stays; the main checkout was never touched.
    expect(existsSync(jobWorktree(scene.dataDir, scene.workerId, job.id))).toBe(false);
    expect(await git(scene.repo, "status", "--porcelain")).toBe("");
    expect(await git(scene.repo, "worktree", "list", "--porcelain")).not.toContain(job.id);
  });

  it("records every stage as job_progress and every output line as a job_log event, in order", async () => {
    runner = startRunner(scene);
    const job = await enqueueJob(scene, { instruction: "for i in $(seq 1 300); do echo out-$i; echo err-$i >&2; done; touch x", planning: { validationSteps: ["test -f x"] } });
    expect((await waitForStatus(scene, job.id)).status).toBe(ItemStatus.COMPLETED);

    const events = await itemEvents(scene, job.id);
    const stages = events.flatMap((event) => (event.payload.case === "jobProgress" ? [event.payload.value.stage] : []));
    expect(stages).toEqual([JobStage.WORKSPACE, JobStage.SANDBOX, JobStage.RUN, JobStage.VALIDATION, JobStage.SCOPE, JobStage.COMMIT, JobStage.COMPLETION]);
    const validation = events.find((event) => event.payload.case === "validationResult");
    expect(validation?.payload.value).toMatchObject({ command: "test -f x", passed: true, exitCode: 0 });

    const lines = await jobLog(scene, job.id);
    expect(lines.map((line) => line.line)).toEqual(lines.map((_, index) => BigInt(index + 1)));
    const stdout = lines.filter((line) => line.stream === LogStream.STDOUT).map((line) => line.text);
    const stderr = lines.filter((line) => line.stream === LogStream.STDERR).map((line) => line.text);
    expect(stdout).toEqual(Array.from({ length: 300 }, (_, i) => `out-${i + 1}`));
    expect(stderr).toEqual(Array.from({ length: 300 }, (_, i) => `err-${i + 1}`));
    expect(lines.some((line) => line.stream === LogStream.SYSTEM && line.text.startsWith("[commit]"))).toBe(true);
    // Output comes after the run stage started and before the scope check.
    const runAt = events.findIndex((e) => e.payload.case === "jobProgress" && e.payload.value.stage === JobStage.RUN);
    const scopeAt = events.findIndex((e) => e.payload.case === "jobProgress" && e.payload.value.stage === JobStage.SCOPE);
    const firstOut = events.findIndex((e) => e.payload.case === "jobLog" && e.payload.value.text === "out-1");
    const lastErr = events.findIndex((e) => e.payload.case === "jobLog" && e.payload.value.text === "err-300");
    expect(runAt).toBeLessThan(firstOut);
    expect(lastErr).toBeLessThan(scopeAt);
  });

  it("completes a job without changes with no commit and no completion, and says so", async () => {
    runner = startRunner(scene);
    const job = await enqueueJob(scene, { instruction: "ls > /dev/null" });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status).toBe(ItemStatus.COMPLETED);
    const result = finished.result?.kind.case === "job" ? finished.result.kind.value : undefined;
    expect(result?.summary).toMatch(/no changes/);
    expect(result?.sha).toBe("");
    expect(await completions(scene)).toEqual([]);
    expect(["", scene.baseSha]).toContain(await jobBranchTip(scene.repo, `agent/${scene.workerId}/${job.id}`));
  });

  it("fails a script that exits non-zero for good, with its exit code and output", async () => {
    runner = startRunner(scene);
    const job = await enqueueJob(scene, { instruction: "echo about to fail; echo boom >&2; exit 3" });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/exited with code 3/);
    expect(finished.lastError).toContain("boom");
    const error = (await itemEvents(scene, job.id)).find((event) => event.payload.case === "error");
    expect(error?.payload.value).toMatchObject({ code: ErrorCode.FAILED_PRECONDITION });
    expect(await completions(scene)).toEqual([]);
  });

  it("fails a job whose base ref does not exist, naming it", async () => {
    runner = startRunner(scene);
    const job = await enqueueJob(scene, { instruction: "touch a", baseRef: "no-such-branch" });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/base ref "no-such-branch" does not name a commit/);
  });

  it("starts from the job's base ref and registers as a worker with its driver", async () => {
    await git(scene.repo, "checkout", "-q", "-b", "feature");
    await git(scene.repo, "commit", "-q", "--allow-empty", "-m", "feature work");
    const featureSha = await git(scene.repo, "rev-parse", "HEAD");
    await git(scene.repo, "checkout", "-q", "main");
    runner = startRunner(scene);
    const job = await enqueueJob(scene, { instruction: "echo f > f.txt", baseRef: "feature" });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    const sha = finished.result?.kind.case === "job" ? finished.result.kind.value.sha : "";
    expect(await git(scene.repo, "rev-parse", `${sha}^`)).toBe(featureSha);

    const { workers } = await scene.controlPlane.clients.execution.listWorkers({});
    expect(workers.find((worker) => worker.id === scene.workerId)).toMatchObject({ drivers: ["process"], concurrency: 2 });
  });

  it("keeps running on a repository without the base branch: a job naming its base runs, one without fails saying what to set", async () => {
    await git(scene.repo, "branch", "-m", "main", "master");
    runner = startRunner(scene);
    const named = await enqueueJob(scene, { instruction: "echo m > m.txt", baseRef: "master" });
    expect((await waitForStatus(scene, named.id)).status).toBe(ItemStatus.COMPLETED);
    const unnamed = await enqueueJob(scene, { instruction: "echo m > m.txt" });
    const failed = await waitForStatus(scene, unnamed.id);
    expect(failed.status).toBe(ItemStatus.FAILED);
    expect(failed.lastError).toMatch(/base ref "main" does not name a commit .*set the job's base_ref \(or repo\.baseBranch\)/);
  });
});
