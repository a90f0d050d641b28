import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { runAgent } from "../../services/runner/agent/agent-loop.js";
import { longMochaRun } from "../fixtures/test-runner-output/long-mocha-run.js";
import { lastUserMessage, limits, recordingReporter, scene, scriptedModel, sentMessages, task, type Scene } from "./support.js";

let server: ScriptedModelServer | undefined;
let current: Scene | undefined;
afterEach(async () => {
  await server?.close();
  await current?.close();
  server = current = undefined;
});

describe("validation after the agent submits", () => {
  it("sends a failing step's output back and accepts the fix of the second round", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("validation-fix.jsonl"));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Make status.txt say fixed.", { validationSteps: ["test -f README.md", "grep fixed status.txt"] }),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    expect(outcome).toMatchObject({ status: "submitted", summary: "status.txt says fixed.", steps: 3, validationRounds: 2 });
    expect(await readFile(join(current.workspace.worktree, "status.txt"), "utf8")).toBe("fixed\n");
    expect(recorded.validations().map((v) => [v.round, v.command, v.passed, v.exitCode])).toEqual([
      [1, "test -f README.md", true, 0],
      [1, "grep fixed status.txt", false, 2],
      [2, "test -f README.md", true, 0],
      [2, "grep fixed status.txt", true, 0],
    ]);
    expect(recorded.validations()[1]?.outputTail).toContain("status.txt: No such file or directory");

    const revision = lastUserMessage(sentMessages(server)[1]!);
    expect(revision).toContain("You submitted, but validation failed (round 1 of at most 3)");
    expect(revision).toContain("<failed_command>grep fixed status.txt</failed_command>\n<exit_code>2</exit_code>");
    expect(revision).toContain("No such file or directory");
    expect(revision).toContain('give up with `echo "PUSHPALS_GIVE_UP why"`');
    // Only the failing step is sent back.
    expect(revision).not.toContain("test -f README.md");
    expect(recorded.logs()).toContain("the agent submitted; validation round 2 of at most 3");
  });

  it("ends with validation_failed and the evidence once the rounds are used up", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel("validation-never.jsonl"));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Make the build pass.", { validationSteps: ["echo compiling; echo 'error: the build is broken' >&2; exit 3"] }),
      limits: limits(),
      maxValidationRounds: 1,
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    if (outcome.status !== "failed") throw new Error("expected validation_failed");
    expect(outcome).toMatchObject({ reason: "validation_failed", steps: 2 });
    expect(outcome.message).toBe(
      "validation still failed after 2 round(s): `echo compiling; echo 'error: the build is broken' >&2; exit 3` exited 3; fix the task or the plan's validation steps, then submit the request again\n" +
        "--- summary lines (picked from the whole output) ---\nerror: the build is broken\n--- its last 20 lines ---\ncompiling\nerror: the build is broken",
    );
    expect(outcome.evidence).toEqual([
      {
        command: "echo compiling; echo 'error: the build is broken' >&2; exit 3",
        exitCode: 3,
        timedOut: false,
        outputTail: "compiling\nerror: the build is broken\n",
        summary: ["error: the build is broken"],
      },
    ]);
    expect(recorded.validations().map((v) => [v.round, v.passed])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(server.requests()).toHaveLength(2);
    expect(outcome.trajectory.outcome).toMatchObject({ status: "failed", reason: "validation_failed" });
  });

  it("quotes the summary lines of a long failing run, from its clipped middle, first in the failure message and the event", async () => {
    current = await scene("process");
    const output = longMochaRun();
    await writeFile(join(current.workspace.worktree, "mocha-output.txt"), output);
    let model;
    ({ server, model } = await scriptedModel("validation-never.jsonl"));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Make the suite pass.", { validationSteps: ["cat mocha-output.txt; exit 55"] }),
      limits: limits({ maxOutputChars: 4000 }),
      maxValidationRounds: 1,
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    if (outcome.status !== "failed") throw new Error("expected validation_failed");
    // Neither the head nor the tail the model and the event keep holds the counts.
    expect(output.length).toBeGreaterThan(20 * 4000);
    expect(output.slice(0, 2000) + output.slice(-4000)).not.toContain("55 failing");
    const message = outcome.message;
    expect(message).toMatch(
      /^validation still failed after 2 round\(s\): `cat mocha-output.txt; exit 55` exited 55; fix the task .*, then submit the request again\n--- summary lines/,
    );
    expect(message).toContain('1,200 passing (3s)\n55 failing\nError: expected 200 "OK", got 404 "Not Found"\n');
    const lastFrame = "at process.processImmediate (node:internal/timers:476:21)";
    expect(message.indexOf("55 failing")).toBeLessThan(message.indexOf(lastFrame));
    expect(message.length).toBeLessThan(6000);
    expect(outcome.evidence[0]?.summary).toEqual(["1,200 passing (3s)", "55 failing", 'Error: expected 200 "OK", got 404 "Not Found"']);
    // The person's timeline shows them with the failing step, the model with its revision prompt.
    expect(recorded.validations()[0]?.outputTail).toMatch(/^--- summary lines \(picked from the whole output\) ---\n1,200 passing \(3s\)\n55 failing\n/);
    const revision = lastUserMessage(sentMessages(server)[1]!);
    expect(revision).toContain("<summary_lines>\n1,200 passing (3s)\n55 failing\n");
    expect(outcome.trajectory.validations[0]?.steps[0]?.summary).toContain("55 failing");
  });

  it("a validation step that hangs is killed at its timeout and counts as failed", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([{ content: "```bash\necho PUSHPALS_SUBMIT\n```" }]));
    const started = performance.now();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Anything.", { validationSteps: ["sleep 30"] }),
      limits: limits({ validationTimeoutMs: 400 }),
      maxValidationRounds: 0,
      signal: AbortSignal.timeout(10_000),
      reporter: recordingReporter().reporter,
    });

    if (outcome.status !== "failed") throw new Error("expected validation_failed");
    expect(outcome.reason).toBe("validation_failed");
    expect(outcome.message).toContain("`sleep 30` timed out");
    expect(outcome.evidence[0]).toMatchObject({ command: "sleep 30", timedOut: true });
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("a plan without validation steps is accepted on submit", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([{ content: "```bash\necho PUSHPALS_SUBMIT && echo done\n```" }]));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Anything."),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    expect(outcome).toMatchObject({ status: "submitted", summary: "done", validationRounds: 1 });
    expect(recorded.validations()).toEqual([]);
    expect(recorded.logs()).toContain("validation round 1: the plan has no validation steps; nothing to run");
  });
});
