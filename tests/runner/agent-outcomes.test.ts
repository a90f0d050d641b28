import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../services/kernel/llm/scripted-model-server.js";
import type { ScriptedReplyInput } from "../../services/kernel/llm/scripted-script.js";
import { describeEvent } from "../../cli/client/chat/event-line.js";
import { plainStyle } from "../../cli/client/style.js";
import { createBwrapDriver } from "../../supervisor/sandbox/bwrap-driver.js";
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

  async function start(script: ScriptedReplyInput[]): Promise<Scene> {
    scene = await createScene({ files: { "test.sh": "#!/bin/sh\npsql \"$DATABASE_URL\" -c 'select 1'\n", "README.md": "# db\n" } });
    model = await startScriptedModelServer({ script });
    runner = startRunner(scene, { "supervisor.driver": driver, "llm.baseUrl": model.url, "llm.model": "scripted-agent", "llm.maxRetries": 0 });
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
      { lane: Lane.WORKER, instruction: "Make the database tests pass.", planning: { validationSteps: ["touch validation-ran"], scope: { writeAllowed: true, writeGlobs: ["**"] } } },
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
});
