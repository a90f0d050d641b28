import { durationFromMs } from "../../shared/time.js";
import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import type { startScriptedModelServer, ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { createBwrapDriver } from "../../sandbox/bwrap-driver.js";
import { git } from "../support/git.js";
import { enqueueJob, itemEvents, jobLog, useAgentRun, waitForStatus } from "./support.js";
import { JobStage, ModelRole } from "../../gen/pushpals/v1/kinds_pb.js";

const driver = (await createBwrapDriver().available()) ? "bwrap" : "process";
const MODEL_KEY = "sk-test-never-in-a-sandbox";

describe(`the worker lane (coding agent, ${driver} sandbox)`, () => {
  const agentRun = useAgentRun();

  async function start(script: Parameters<typeof startScriptedModelServer>[0]["script"]) {
    const { scene } = await agentRun({
      script,
      files: { "hello.txt": "Hello, world\n", "README.md": "# greeting\n" },
      settings: { "runner.driver": driver, "llm.apiKey": MODEL_KEY },
    });
    return scene;
  }

  it("runs the agent against the job's worktree, records its steps, usage and validation, and commits its change", async () => {
    const scene = await start([
      { content: "THOUGHT: look first.\n\n```bash\nenv | sort > env.txt; cat hello.txt\n```", usage: { prompt_tokens: 400, completion_tokens: 20 } },
      {
        match: { role: "user", contains: "Hello, world" },
        content: "```bash\nsed -i 's/world/PushPals/' hello.txt && cat hello.txt\n```",
        usage: { prompt_tokens: 480, completion_tokens: 30 },
      },
      {
        match: { role: "user", contains: "Hello, PushPals" },
        content: "```bash\necho PUSHPALS_SUBMIT && echo 'The greeting now says PushPals.'\n```",
        usage: { prompt_tokens: 560, completion_tokens: 25 },
      },
    ]);
    const job = await enqueueJob(scene, {
      lane: Lane.WORKER,
      instruction: "Make hello.txt greet PushPals instead of the world.",
      planning: { validationSteps: ["grep -q PushPals hello.txt"], scope: { writeAllowed: true, writeGlobs: ["hello.txt", "env.txt"] } },
    });
    const finished = await waitForStatus(scene, job.id, undefined, 30_000);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    const result = finished.result?.kind.case === "job" ? finished.result.kind.value : undefined;
    expect(result?.summary).toBe("The greeting now says PushPals.");
    expect(result?.changedFiles.sort()).toEqual(["env.txt", "hello.txt"]);
    expect(await git(scene.repo, "show", `${result?.sha}:hello.txt`)).toBe("Hello, PushPals");
    expect(await git(scene.repo, "log", "-1", "--format=%s", result!.sha)).toBe(`pushpals ${job.id}: The greeting now says PushPals.`);

    // The sandbox saw the allow-listed environment only: no model key, no PushPals settings.
    const env = await git(scene.repo, "show", `${result?.sha}:env.txt`);
    expect(env).not.toContain(MODEL_KEY);
    expect(env).not.toMatch(/^PUSHPALS_/m);
    const names = env.split("\n").map((line) => line.split("=")[0]);
    expect(names.filter((name) => !["PATH", "HOME", "LANG", "LC_ALL", "TERM", "TZ", "PWD", "SHLVL", "_", "OLDPWD"].includes(name!))).toEqual([]);

    const events = await itemEvents(scene, job.id);
    const steps = events.flatMap((e) => (e.payload.case === "agentStep" ? [e.payload.value] : []));
    expect(steps.map((step) => step.command)).toEqual([
      "env | sort > env.txt; cat hello.txt",
      "sed -i 's/world/PushPals/' hello.txt && cat hello.txt",
      "echo PUSHPALS_SUBMIT && echo 'The greeting now says PushPals.'",
    ]);
    const usage = events.flatMap((e) => (e.payload.case === "tokenUsage" ? [e.payload.value] : []));
    expect(usage.map((u) => [u.role, Number(u.promptTokens), Number(u.completionTokens)])).toEqual([
      [ModelRole.AGENT, 400, 20],
      [ModelRole.AGENT, 480, 30],
      [ModelRole.AGENT, 560, 25],
    ]);
    const validation = events.flatMap((e) => (e.payload.case === "validationResult" ? [e.payload.value] : []));
    expect(validation).toMatchObject([{ command: "grep -q PushPals hello.txt", passed: true }]);
    const stages = events.flatMap((e) => (e.payload.case === "jobProgress" ? [e.payload.value.stage] : []));
    expect(stages).toEqual([JobStage.WORKSPACE, JobStage.SANDBOX, JobStage.RUN, JobStage.VALIDATION, JobStage.SCOPE, JobStage.COMMIT, JobStage.COMPLETION]);
    expect((await jobLog(scene, job.id)).map((line) => line.text)).toContain("Hello, PushPals");

    const { artifacts } = await scene.controlPlane.clients.execution.listArtifacts({ jobId: job.id });
    expect(artifacts.map((a) => a.name).sort()).toEqual(["diff", "trajectory.json"]);
    const trajectoryId = artifacts.find((a) => a.name === "trajectory.json")!.id;
    const { artifact } = await scene.controlPlane.clients.execution.getArtifact({ artifactId: trajectoryId });
    const trajectory = JSON.parse(new TextDecoder().decode(artifact!.content)) as { outcome: { status: string }; steps: unknown[] };
    expect(trajectory.outcome.status).toBe("submitted");
    expect(trajectory.steps).toHaveLength(3);
    const diffId = artifacts.find((a) => a.name === "diff")!.id;
    const diff = new TextDecoder().decode((await scene.controlPlane.clients.execution.getArtifact({ artifactId: diffId })).artifact!.content);
    expect(diff).toContain("+Hello, PushPals");
  });

  it("fails the job for good when the agent runs out of steps (the plan's max_steps), keeping its trajectory", async () => {
    const scene = await start(Array.from({ length: 10 }, (_, i) => ({ content: `\`\`\`bash\necho looking ${i + 1}\n\`\`\`` })));
    const job = await enqueueJob(scene, {
      lane: Lane.WORKER,
      instruction: "Look around forever.",
      planning: { budgets: { maxSteps: 3, execution: durationFromMs(20_000) } },
    });
    const finished = await waitForStatus(scene, job.id, undefined, 30_000);
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/^the agent stopped \(step_limit\) after 3 steps/);
    const steps = (await itemEvents(scene, job.id)).filter((e) => e.payload.case === "agentStep");
    expect(steps).toHaveLength(3);
    const { artifacts } = await scene.controlPlane.clients.execution.listArtifacts({ jobId: job.id });
    expect(artifacts.map((a) => a.name)).toEqual(["trajectory.json"]);
  });
});
