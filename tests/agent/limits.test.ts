import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { runAgent } from "../../services/runner/agent/agent-loop.js";
import type { AgentOutcome } from "../../services/runner/agent/agent-types.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { processesWith, uniqueSleep, waitFor } from "../sandbox/fixtures.js";
import { bwrapRequirement, lastUserMessage, limits, recordingReporter, scene, scriptedModel, sentMessages, task, type Scene } from "./support.js";

let server: ScriptedModelServer | undefined;
let current: Scene | undefined;
afterEach(async () => {
  await server?.close();
  await current?.close();
  server = current = undefined;
});

function failure(outcome: AgentOutcome) {
  if (outcome.status !== "failed") throw new Error(`expected a failed outcome, got ${JSON.stringify({ ...outcome, trajectory: undefined })}`);
  return outcome;
}

describe("agent limits", () => {
  it("stops at the step limit before asking the model again", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("step-limit.jsonl"));
    const recorded = recordingReporter();

    const outcome = failure(
      await runAgent({
        model,
        sandbox: current.sandbox,
        task: task("Look around."),
        limits: limits({ maxSteps: 3 }),
        signal: AbortSignal.timeout(10_000),
        reporter: recorded.reporter,
      }),
    );

    expect(outcome).toMatchObject({ reason: "step_limit", steps: 3 });
    expect(outcome.message).toBe("the agent used all 3 steps without submitting; raise the plan's budgets.max_steps (or runner.max_steps) or split the task into smaller jobs");
    expect(server.requests()).toHaveLength(3);
    expect(server.remaining()).toBe(2);
    expect(recorded.steps().map((s) => s.output)).toEqual(["looking 1\n", "looking 2\n", "looking 3\n"]);
    // The model was warned as the end came near.
    expect(lastUserMessage(sentMessages(server)[1]!)).toContain("Only 2 of your 3 replies are left");
    expect(lastUserMessage(sentMessages(server)[2]!)).toContain("Only 1 of your 3 replies are left");
    expect(outcome.trajectory.outcome).toEqual({ status: "failed", reason: "step_limit", message: outcome.message });
  });

  it("stops at the token limit, counting prompt and completion tokens of every call", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("token-limit.jsonl"));

    const outcome = failure(
      await runAgent({
        model,
        sandbox: current.sandbox,
        task: task("Talk a lot."),
        limits: limits({ maxTokens: 1000 }),
        signal: AbortSignal.timeout(10_000),
        reporter: recordingReporter().reporter,
      }),
    );

    expect(outcome).toMatchObject({ reason: "token_limit", steps: 2, usage: { promptTokens: 1200, completionTokens: 200, modelCalls: 2 } });
    expect(outcome.message).toMatch(/^the agent used 1400 model tokens, reaching its budget of 1000, without submitting; raise the plan's budgets\.max_tokens/);
    expect(server.requests()).toHaveLength(2);
  });

  it("stops at the wall time even in the middle of a command, killing it", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("slow-command.jsonl"));
    const started = performance.now();

    const outcome = failure(
      await runAgent({
        model,
        sandbox: current.sandbox,
        task: task("Wait."),
        limits: limits({ wallTimeMs: 800, commandTimeoutMs: 20_000 }),
        signal: AbortSignal.timeout(10_000),
        reporter: recordingReporter().reporter,
      }),
    );

    const elapsed = performance.now() - started;
    expect(outcome).toMatchObject({ reason: "wall_time", steps: 1 });
    expect(outcome.message).toMatch(/^the agent ran out of its 0\.8 s of wall time during step 1; raise the plan's budgets\.execution/);
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(2500);
    expect(outcome.trajectory.steps[0]).toMatchObject({ command: "sleep 30", cancelled: true });
    expect(server.requests()).toHaveLength(1);
  });

  it("kills an endless loop at the command timeout and tells the agent, which goes on", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("endless-loop.jsonl"));
    const started = performance.now();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Spin."),
      limits: limits({ commandTimeoutMs: 500 }),
      signal: AbortSignal.timeout(10_000),
      reporter: recordingReporter().reporter,
    });

    expect(outcome).toMatchObject({ status: "submitted", summary: "Gave up on the loop.", steps: 2 });
    expect(performance.now() - started).toBeLessThan(4000);
    const told = lastUserMessage(sentMessages(server)[1]!);
    expect(told).toContain("The command was still running after 0.5 seconds, so it and every process it started were killed");
    expect(told).toMatch(/<exit_code>(143|137)<\/exit_code>/);
    expect(outcome.trajectory.steps[0]).toMatchObject({ command: "while true; do :; done", timedOut: true, cancelled: false });
  });

  for (const kind of ["process", "bwrap"] as const) {
    const body = () => {
      it("cancel mid-command kills the command at once and ends with reason cancelled", async () => {
        current = await scene(kind);
        const sleeper = uniqueSleep();
        let model;
        ({ server, model } = await scriptedModel([
          { content: `THOUGHT: wait a long time.\n\n\`\`\`bash\nsleep ${sleeper.seconds}\n\`\`\`` },
          { content: "```bash\necho PUSHPALS_SUBMIT\n```" },
        ]));
        const cancel = new AbortController();
        const recorded = recordingReporter();
        const running = runAgent({
          model,
          sandbox: current.sandbox,
          task: task("Sleep."),
          limits: limits({ commandTimeoutMs: 60_000, wallTimeMs: 60_000 }),
          signal: cancel.signal,
          reporter: recorded.reporter,
        });
        await waitFor("the sleep to start", async () => (await processesWith(sleeper.marker)) > 0, 5000);

        const cancelledAt = performance.now();
        cancel.abort();
        const outcome = failure(await running);

        expect(performance.now() - cancelledAt).toBeLessThan(2000);
        expect(outcome).toMatchObject({ reason: "cancelled", steps: 1 });
        expect(outcome.message).toBe("the job was cancelled during step 1; the agent stopped at once and killed its running command. Submit the request again to retry");
        expect(await processesWith(sleeper.marker)).toBe(0);
        expect(server.requests()).toHaveLength(1);
        expect(recorded.steps()[0]).toMatchObject({ command: `sleep ${sleeper.seconds}` });
      });
    };
    if (kind === "process") describe("in the process sandbox", body);
    else describeIfAvailable("in the bwrap sandbox", bwrapRequirement, body);
  }

  it("cancel while waiting for the model ends at once with reason cancelled", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([{ delay_ms: 30_000, content: "```bash\nls\n```" }]));
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 300);
    const started = performance.now();

    const outcome = failure(
      await runAgent({ model, sandbox: current.sandbox, task: task("Think hard."), limits: limits(), signal: cancel.signal, reporter: recordingReporter().reporter }),
    );

    expect(outcome.reason).toBe("cancelled");
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it("a run cancelled before it starts asks the model nothing", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("step-limit.jsonl"));

    const outcome = failure(
      await runAgent({ model, sandbox: current.sandbox, task: task("Nothing."), limits: limits(), signal: AbortSignal.abort(), reporter: recordingReporter().reporter }),
    );

    expect(outcome).toMatchObject({ reason: "cancelled", steps: 0 });
    expect(outcome.message).toContain("cancelled before its first step");
    expect(server.requests()).toHaveLength(0);
  });
});
