import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import { describeEvent } from "../../cli/client/chat/event-line.js";
import { plainStyle } from "../../cli/client/style.js";
import { longMochaRun } from "../fixtures/test-runner-output/long-mocha-run.js";
import { createBwrapDriver } from "../../sandbox/bwrap-driver.js";
import { createScene, enqueueJob, itemEvents, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";

const driver = (await createBwrapDriver().available()) ? "bwrap" : "process";

/** How a job's failure reaches the person: the queue item, its error event, the chat lines. */
describe(`what the person sees when the agent's job fails (${driver} sandbox)`, () => {
  let scene: Scene | undefined;
  let runner: InProcessRunner | undefined;
  let model: ScriptedModelServer | undefined;

  afterEach(async () => {
    await runner?.stop();
    await model?.close();
    await scene?.remove();
    runner = scene = model = undefined;
  });

  async function start(script: ScriptedReplyInput[], overrides: Record<string, unknown> = {}): Promise<Scene> {
    const files = { "test.sh": "#!/bin/sh\npsql \"$DATABASE_URL\" -c 'select 1'\n", "mocha-output.txt": longMochaRun(), "README.md": "# db\n" };
    scene = await createScene({ files });
    model = await startScriptedModelServer({ script });
    runner = startRunner(scene, { "runner.driver": driver, "llm.baseUrl": model.url, "llm.model": "scripted-agent", "llm.maxRetries": 0, ...overrides });
    return scene;
  }

  it("an agent that gives up fails its job for good, with its reason in last_error, the error event and the chat", async () => {
    const reason = "the tests need a PostgreSQL database at DATABASE_URL and the sandbox has no network to reach one";
    const scene = await start([
      { content: "```bash\ncat test.sh\n```" },
      { match: { role: "user", contains: "DATABASE_URL" }, content: `THOUGHT: Cannot be done here.\n\n\`\`\`bash\necho "PUSHPALS_GIVE_UP ${reason}"\n\`\`\`` },
      { content: "```bash\necho PUSHPALS_SUBMIT && echo 'submitting anyway'\n```" },
    ]);
    const job = await enqueueJob(
      scene,
      {
        lane: Lane.WORKER,
        instruction: "Make the database tests pass.",
        planning: { validationSteps: ["touch validation-ran"], scope: { writeAllowed: true, writeGlobs: ["**"] } },
      },
      { maxAttempts: 3 },
    );

    const finished = await waitForStatus(scene, job.id, undefined, 30_000);
    expect(finished.status, finished.lastError).toBe(ItemStatus.FAILED);
    expect(finished.attempts).toBe(1);
    expect(finished.lastError).toMatch(new RegExp(`^the agent gave up on step 2: ${reason}\\. `));

    const events = await itemEvents(scene, job.id);
    const kinds = events.map((e) => e.payload.case);
    expect(kinds).not.toContain("validationResult");
    expect(kinds).not.toContain("jobRequeued");
    const error = events.find((e) => e.payload.case === "error");
    if (error?.payload.case !== "error") throw new Error("no error event");
    expect(error.payload.value.message).toBe(finished.lastError);

    const chat = events.flatMap((e) => describeEvent(e, plainStyle).line ?? []);
    expect(chat).toContainEqual(expect.stringMatching(new RegExp(`^✗ the agent gave up on step 2: ${reason}\\. .* — `)));
    expect(chat).toContainEqual(`✗ job ${job.id} failed: ${finished.lastError}`);

    const { artifacts } = await scene.controlPlane.clients.execution.listArtifacts({ jobId: job.id });
    const trajectoryId = artifacts.find((a) => a.name === "trajectory.json")!.id;
    const { artifact } = await scene.controlPlane.clients.execution.getArtifact({ artifactId: trajectoryId });
    const trajectory = JSON.parse(new TextDecoder().decode(artifact!.content)) as { outcome: { status: string; reason: string }; validations: unknown[] };
    expect(trajectory.outcome).toMatchObject({ status: "failed", reason: "gave_up" });
    expect(trajectory.validations).toEqual([]);
  });

  it("a job whose validation still fails quotes the suite's summary lines (the counts from the middle of a long run) in last_error and the chat", async () => {
    const scene = await start([{ content: "```bash\necho PUSHPALS_SUBMIT && echo 'Fixed the dotted paths.'\n```" }], { "agent.maxValidationRounds": 0 });
    const job = await enqueueJob(scene, { lane: Lane.WORKER, instruction: "Serve files under dotted paths.", planning: { validationSteps: ["cat mocha-output.txt; exit 55"] } });

    const finished = await waitForStatus(scene, job.id, undefined, 30_000);
    expect(finished.status, finished.lastError).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(
      /^the agent stopped \(validation_failed\) after 1 steps: validation still failed after 1 round\(s\): `cat mocha-output.txt; exit 55` exited 55; /,
    );
    expect(finished.lastError).toContain("\n1,200 passing (3s)\n55 failing\nError: expected 200");

    const events = await itemEvents(scene, job.id);
    const validation = events.flatMap((e) => (e.payload.case === "validationResult" ? [e.payload.value] : []));
    expect(validation).toHaveLength(1);
    expect(validation[0]?.outputTail).toContain("\n55 failing\n");
    // The error event's line says what failed and what to do; the failed line after it quotes the output, indented.
    const chat = events.flatMap((e) => describeEvent(e, plainStyle).line ?? []);
    const errorLine = chat.find((line) => line.startsWith("✗ the agent stopped (validation_failed)"));
    expect(errorLine).toMatch(/then submit the request again — .* \(failed precondition\)$/);
    expect(errorLine).not.toContain("\n");
    const failedLine = chat.find((line) => line.startsWith(`✗ job ${job.id} failed: `));
    expect(failedLine).toContain("\n  --- summary lines (picked from the whole output) ---\n  1,200 passing (3s)\n  55 failing\n");
  });
});

describe("what the person sees when a script job fails", () => {
  let scene: Scene | undefined;
  let runner: InProcessRunner | undefined;

  afterEach(async () => {
    await runner?.stop();
    await scene?.remove();
    runner = scene = undefined;
  });

  it("a failing script or validation step quotes the summary lines of its whole output before its last lines", async () => {
    scene = await createScene({ files: { "mocha-output.txt": longMochaRun(), "README.md": "# site\n" } });
    runner = startRunner(scene);
    const script = await enqueueJob(scene, { instruction: "cat mocha-output.txt; exit 1" });
    const validated = await enqueueJob(scene, { instruction: "true", planning: { validationSteps: ["cat mocha-output.txt; exit 1"] } });

    for (const [job, start] of [
      [script, "the job's script exited with code 1\n"],
      [validated, "validation step 1 `cat mocha-output.txt; exit 1` failed with exit code 1\n"],
    ] as const) {
      const finished = await waitForStatus(scene, job.id);
      expect(finished.status, finished.lastError).toBe(ItemStatus.FAILED);
      expect(finished.lastError).toMatch(
        new RegExp(`^${start.replace(/[()`]/g, "\\$&")}--- summary lines \\(picked from the whole output\\) ---\\n1,200 passing \\(3s\\)\\n55 failing\\n`),
      );
      expect(finished.lastError).toMatch(/--- its last 20 lines ---\n(.*\n){19}.*at process\.processImmediate/);
    }
    const [step] = (await itemEvents(scene, validated.id)).flatMap((e) => (e.payload.case === "validationResult" ? [e.payload.value] : []));
    expect(step?.outputTail).toMatch(/^--- summary lines \(picked from the whole output\) ---\n1,200 passing \(3s\)\n55 failing\n.*\n--- end of the output ---\n/);
  });
});
