import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { ConnectError } from "@connectrpc/connect";
import { runAgent } from "../../services/runner/agent/agent-loop.js";
import { AgentCrashed } from "../../services/runner/agent/control-flow.js";
import { BWRAP_WORKDIR } from "../../sandbox/bwrap-args.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { git } from "../support/git.js";
import { AGENT_MODEL, bwrapRequirement, lastUserMessage, limits, recordingReporter, scene, scriptedModel, sentMessages, task, type Scene } from "./support.js";
import { ModelRole } from "../../gen/pushpals/v1/kinds_pb.js";

let server: ScriptedModelServer | undefined;
let current: Scene | undefined;
afterEach(async () => {
  await server?.close();
  await current?.close();
  server = current = undefined;
});

describeIfAvailable("builtin agent in a bwrap sandbox", bwrapRequirement, () => {
  it("edits a file in the worktree through one command per turn and submits with a summary", async () => {
    current = await scene("bwrap");
    const { worktree } = current.workspace;
    await writeFile(join(worktree, "hello.txt"), "Hello, world\n");
    await git(worktree, "add", "hello.txt");
    await git(worktree, "commit", "-q", "-m", "add hello");
    let model;
    ({ server, model } = await scriptedModel("edit-and-submit.jsonl"));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Make hello.txt greet PushPals instead of the world.", {
        acceptanceCriteria: ["hello.txt says Hello, PushPals"],
        validationSteps: ["grep -qx 'Hello, PushPals' hello.txt"],
        scope: { writeAllowed: true, writeGlobs: ["hello.txt"] },
      }),
      limits: limits(),
      signal: AbortSignal.timeout(20_000),
      reporter: recorded.reporter,
    });

    expect(outcome).toMatchObject({ status: "submitted", summary: "The greeting in hello.txt now says PushPals.", steps: 3, validationRounds: 1 });
    expect(await readFile(join(worktree, "hello.txt"), "utf8")).toBe("Hello, PushPals\n");
    expect(await git(worktree, "diff", "--stat")).toContain("hello.txt");
    expect(server.remaining()).toBe(0);

    const [first] = sentMessages(server);
    expect(first?.[0]).toMatchObject({ role: "system" });
    expect(first?.[0]?.content).toContain("You are the PushPals coding agent");
    expect(first?.[0]?.content).toContain(BWRAP_WORKDIR);
    const instance = first?.[1]?.content ?? "";
    expect(instance).toContain("Make hello.txt greet PushPals instead of the world.");
    expect(instance).toContain("- hello.txt says Hello, PushPals");
    expect(instance).toContain("You may change only files matching: hello.txt");
    expect(instance).toContain("`grep -qx 'Hello, PushPals' hello.txt`");
    expect(instance).toContain("echo PUSHPALS_SUBMIT");

    const steps = recorded.steps();
    expect(steps.map((s) => [s.step, s.command, s.exitCode, s.formatError])).toEqual([
      [1, "cat hello.txt", 0, false],
      [2, "sed -i 's/world/PushPals/' hello.txt && cat hello.txt", 0, false],
      [3, "echo PUSHPALS_SUBMIT && echo 'The greeting in hello.txt now says PushPals.'", 0, false],
    ]);
    expect(steps[0]?.thought).toBe("THOUGHT: First I look at the file I must change.");
    expect(steps[1]?.output).toBe("Hello, PushPals\n");
    expect(recorded.validations()).toMatchObject([{ command: "grep -qx 'Hello, PushPals' hello.txt", exitCode: 0, passed: true, round: 1 }]);
    expect(recorded.usages().map((u) => [u.role, u.model, u.promptTokens, u.completionTokens])).toEqual([
      [ModelRole.AGENT, AGENT_MODEL, 400n, 20n],
      [ModelRole.AGENT, AGENT_MODEL, 480n, 30n],
      [ModelRole.AGENT, AGENT_MODEL, 560n, 25n],
    ]);
    expect(outcome.usage).toEqual({ promptTokens: 1440, completionTokens: 75, modelCalls: 3 });
    // Events come in the order things happened: usage of a turn, its live output, then its step.
    const order = recorded.events.map((e) => e.kind).filter((k) => k !== "log");
    expect(order).toEqual(["usage", "step", "usage", "step", "usage", "step", "validation"]);
    expect(recorded.logs()).toContain("step 2: $ sed -i 's/world/PushPals/' hello.txt && cat hello.txt");
  });
});

describe("builtin agent loop", () => {
  it("refuses replies with zero or two code blocks, says why, counts them as steps and recovers", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("format-errors.jsonl"));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Show that you can follow the reply format."),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    expect(outcome).toMatchObject({ status: "submitted", summary: "Recovered from two format errors.", steps: 4 });
    const sent = sentMessages(server);
    expect(sent).toHaveLength(4);
    expect(lastUserMessage(sent[1]!)).toContain("Your reply was not run: it holds no ```bash code block");
    expect(lastUserMessage(sent[2]!)).toContain("it holds 2 ```bash code blocks; exactly one command per reply is allowed, so none was run");
    // The refused reply stays in the conversation, so the model sees what it got wrong.
    expect(sent[2]!.at(-2)).toEqual({ role: "assistant", content: "THOUGHT: Two things at once.\n\n```bash\nls\n```\n\n```sh\npwd\n```" });
    const steps = recorded.steps();
    expect(steps.map((s) => s.formatError)).toEqual([true, true, false, false]);
    expect(steps[0]).toMatchObject({ command: "", thought: "I will list the files in the repository now." });
    expect(steps[1]?.output).toContain("2 ```bash code blocks");
    expect(steps[2]).toMatchObject({ command: "echo one-command-ran", output: "one-command-ran\n", exitCode: 0 });
  });

  it("keeps the head and tail of a long output, says how much was elided, and stays within the limit", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("long-output.jsonl"));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Print a lot."),
      limits: limits({ maxOutputChars: 2000 }),
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    expect(outcome.status).toBe("submitted");
    const observation = lastUserMessage(sentMessages(server)[1]!);
    const total = Array.from({ length: 100_000 }, (_, i) => `${i + 1}\n`).join("").length;
    expect(observation).toContain(`The output was ${total} characters long; the middle ${total - 2000} characters were left out`);
    expect(observation).toMatch(/<output>\n1\n2\n3\n4\n/);
    expect(observation).toMatch(/99999\n100000\n\n<\/output>/);
    expect(observation).toContain(`[... ${total - 2000} characters elided ...]`);
    expect(observation.length).toBeLessThan(2600);
    expect(outcome.trajectory.steps[0]).toMatchObject({ outputChars: total, exitCode: 0 });
    // The live log is capped too, with a line saying so.
    const live = recorded.logs();
    expect(live).toContain("[output continues past 2000 characters; the rest is not logged live]");
    expect(live.join("\n").length).toBeLessThan(4000);
  });

  it("records the whole run as a JSON trajectory: conversation, steps with timings, validation and usage", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("validation-fix.jsonl"));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Make status.txt say fixed.", { validationSteps: ["grep -q fixed status.txt"], acceptanceCriteria: ["status.txt says fixed"] }),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    const trajectory = JSON.parse(JSON.stringify(outcome.trajectory)) as typeof outcome.trajectory;
    expect(trajectory).toEqual(outcome.trajectory);
    expect(trajectory).toMatchObject({
      format: "pushpals.trajectory.v1",
      backend: "builtin",
      model: AGENT_MODEL,
      maxValidationRounds: 2,
      task: { instruction: "Make status.txt say fixed.", acceptanceCriteria: ["status.txt says fixed"], validationSteps: ["grep -q fixed status.txt"] },
      outcome: { status: "submitted", summary: "status.txt says fixed." },
    });
    expect(Date.parse(trajectory.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(trajectory.startedAt));
    // The conversation is exactly what the model was sent, plus its last reply.
    const lastRequest = sentMessages(server).at(-1)!;
    expect(trajectory.messages.slice(0, lastRequest.length)).toEqual(lastRequest);
    expect(trajectory.messages).toHaveLength(lastRequest.length + 1);
    expect(trajectory.messages.at(-1)?.role).toBe("assistant");
    expect(trajectory.steps).toHaveLength(3);
    for (const step of trajectory.steps) {
      expect(step.modelMs).toBeGreaterThanOrEqual(0);
      expect(step.commandMs).toBeGreaterThanOrEqual(0);
      expect(Number.isNaN(Date.parse(step.startedAt))).toBe(false);
    }
    expect(trajectory.steps.map((s) => [s.command, s.submitted])).toEqual([
      ["echo PUSHPALS_SUBMIT && echo 'First try.'", true],
      ["echo fixed > status.txt", false],
      ["echo PUSHPALS_SUBMIT && echo 'status.txt says fixed.'", true],
    ]);
    expect(trajectory.validations.map((v) => [v.round, v.steps.map((s) => s.passed)])).toEqual([
      [1, [false]],
      [2, [true]],
    ]);
    const tokens = recorded.usages().reduce((sum, u) => sum + Number(u.promptTokens + u.completionTokens), 0);
    expect(trajectory.usage.modelCalls).toBe(3);
    expect(trajectory.usage.promptTokens + trajectory.usage.completionTokens).toBe(tokens);
  });

  it("ends with model_error and a message naming the endpoint when the model cannot answer", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("model-down.jsonl"));

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Anything."),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recordingReporter().reporter,
    });

    expect(outcome).toMatchObject({ status: "failed", reason: "model_error", steps: 1 });
    if (outcome.status !== "failed") throw new Error("unreachable");
    expect(outcome.message).toMatch(/^the model call of step 1 failed: model endpoint .* answered 500: model backend crashed .*check the model server's logs/);
    expect(outcome.trajectory.outcome).toMatchObject({ status: "failed", reason: "model_error" });
  });

  it("re-raises an unexpected error (here a sandbox stopped under it) as AgentCrashed, with the trajectory so far", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("step-limit.jsonl"));
    await current.sandbox.stop();

    const error = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("x"),
      limits: limits(),
      signal: AbortSignal.timeout(5000),
      reporter: recordingReporter().reporter,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AgentCrashed);
    const crash = error as AgentCrashed;
    expect(crash.message).toMatch(/^the agent loop failed unexpectedly: .*was stopped; start a new sandbox/);
    expect(crash.cause).toBeInstanceOf(ConnectError);
    expect(crash.trajectory.outcome).toMatchObject({ status: "crashed" });
    expect(crash.trajectory.messages.at(-1)).toEqual({ role: "assistant", content: "```bash\necho looking 1\n```" });
  });

  it("rejects bad options with InvalidArgument naming the field, before calling the model", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("step-limit.jsonl"));
    const base = { model, sandbox: current.sandbox, signal: AbortSignal.timeout(5000), reporter: recordingReporter().reporter };

    await expect(runAgent({ ...base, task: task("  "), limits: limits() })).rejects.toThrow(/task\.instruction: must say what the agent should do/);
    await expect(runAgent({ ...base, task: task("x"), limits: limits({ maxSteps: 0 }) })).rejects.toThrow(/limits\.maxSteps: must be a positive whole number, got 0/);
    await expect(runAgent({ ...base, task: task("x"), limits: limits(), maxValidationRounds: -1 })).rejects.toThrow(/maxValidationRounds: must be a whole number/);
    await expect(runAgent({ ...base, task: task("x", { validationSteps: [""] }), limits: limits() })).rejects.toThrow(
      /task\.planning\.validation_steps\[0\]: must be a non-empty shell command/,
    );
    expect(server.requests()).toHaveLength(0);
  });
});
