import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { runAgent } from "../../services/runner/agent/agent-loop.js";
import { GaveUp } from "../../services/runner/agent/control-flow.js";
import { GIVE_UP_SENTINEL, SUBMIT_SENTINEL, sentinelWords } from "../../services/runner/agent/sentinels.js";
import { limits, recordingReporter, scene, scriptedModel, sentMessages, task, type Scene } from "./support.js";

let server: ScriptedModelServer | undefined;
let current: Scene | undefined;
afterEach(async () => {
  await server?.close();
  await current?.close();
  server = current = undefined;
});

const REASON = "the tests need a PostgreSQL database at DATABASE_URL and the sandbox has no network to reach one";

describe("the agent gives up", () => {
  it("ends the run as failed with reason gave_up and the agent's words, spending no validation round", async () => {
    current = await scene("process");
    const { worktree } = current.workspace;
    await writeFile(join(worktree, "test.sh"), "#!/bin/sh\npsql \"$DATABASE_URL\" -c 'select 1' && npm test\n");
    let model;
    ({ server, model } = await scriptedModel("give-up.jsonl"));
    const recorded = recordingReporter();

    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Make the database tests pass.", { validationSteps: ["touch validation-ran"] }),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recorded.reporter,
    });

    if (outcome.status !== "failed") throw new Error(`expected the run to fail, it ${outcome.status}`);
    expect(outcome).toMatchObject({ reason: "gave_up", steps: 2, evidence: [] });
    expect(outcome.message).toContain(`the agent gave up on step 2: ${REASON}`);
    // No validation ran: no event, no side effect of its command, no third model call.
    expect(recorded.validations()).toEqual([]);
    expect(existsSync(join(worktree, "validation-ran"))).toBe(false);
    expect(server.requests()).toHaveLength(2);
    expect(server.remaining()).toBe(1);
    // The prompt told the agent how to give up, and the trajectory records that it did.
    expect(sentMessages(server)[0]?.[1]?.content).toContain('echo "PUSHPALS_GIVE_UP');
    expect(outcome.trajectory.outcome).toEqual({ status: "failed", reason: "gave_up", message: outcome.message });
    expect(outcome.trajectory.steps.map((s) => [s.step, s.gaveUp ?? false, s.submitted])).toEqual([
      [1, false, false],
      [2, true, false],
    ]);
    expect(outcome.trajectory.validations).toEqual([]);
    expect(recorded.logs()).toContain(`the agent gave up: ${REASON}`);
  });

  it("takes the reason from the reply's reasoning when the sentinel comes alone", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([
      { content: "THOUGHT: The task asks to delete a file the scope forbids touching.\n\n```bash\necho PUSHPALS_GIVE_UP\n```" },
      { content: "```bash\necho PUSHPALS_SUBMIT\n```" },
    ]));
    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Delete README.md."),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recordingReporter().reporter,
    });
    expect(outcome).toMatchObject({ status: "failed", reason: "gave_up", steps: 1 });
    if (outcome.status !== "failed") throw new Error("unreachable");
    expect(outcome.message).toMatch(/^the agent gave up on step 1: The task asks to delete a file the scope forbids touching\. It judged the task cannot be done/);
    expect(outcome.message).toMatch(/then submit it again$/);
  });
});

describe("the give-up message", () => {
  it("puts a reason given on the lines below the sentinel on one line, and clips a very long one", async () => {
    current = await scene("process");
    let model;
    ({ server, model } = await scriptedModel([
      { content: "```bash\necho PUSHPALS_GIVE_UP && echo 'The suite needs mocha.' && echo 'node_modules is missing and npm cannot reach the registry.'\n```" },
    ]));
    const outcome = await runAgent({
      model,
      sandbox: current.sandbox,
      task: task("Fix the tests."),
      limits: limits(),
      signal: AbortSignal.timeout(10_000),
      reporter: recordingReporter().reporter,
    });
    if (outcome.status !== "failed") throw new Error("expected gave_up");
    expect(outcome.message).toMatch(/^the agent gave up on step 1: The suite needs mocha\. node_modules is missing and npm cannot reach the registry\. It judged/);
    expect(outcome.message).not.toContain("\n");

    const long = new GaveUp(3, "x".repeat(5000));
    expect(long.message).toMatch(/^the agent gave up on step 3: x{2000}…\. It judged/);
  });
});

describe("the sentinels", () => {
  it("accept the forms the prompts show and their natural variants, as stdout's first line only", () => {
    expect(sentinelWords("PUSHPALS_GIVE_UP\nthe tests need a database\n", GIVE_UP_SENTINEL)).toBe("the tests need a database");
    expect(sentinelWords("PUSHPALS_GIVE_UP the tests need a database\n", GIVE_UP_SENTINEL)).toBe("the tests need a database");
    expect(sentinelWords("PUSHPALS_GIVE_UP: no network\n", GIVE_UP_SENTINEL)).toBe("no network");
    expect(sentinelWords("  PUSHPALS_GIVE_UP - no network  \nI checked ping\n", GIVE_UP_SENTINEL)).toBe("no network\nI checked ping");
    expect(sentinelWords("PUSHPALS_GIVE_UP", GIVE_UP_SENTINEL)).toBe("");
    expect(sentinelWords("PUSHPALS_SUBMIT\nRenamed parse().\n", SUBMIT_SENTINEL)).toBe("Renamed parse().");
    expect(sentinelWords("PUSHPALS_SUBMIT Renamed parse().", SUBMIT_SENTINEL)).toBe("Renamed parse().");
    // Anything else is ordinary output: another first line, a longer word, the other sentinel.
    expect(sentinelWords("building\nPUSHPALS_GIVE_UP too late\n", GIVE_UP_SENTINEL)).toBeUndefined();
    expect(sentinelWords("PUSHPALS_GIVE_UPS are rare\n", GIVE_UP_SENTINEL)).toBeUndefined();
    expect(sentinelWords("PUSHPALS_SUBMITTED\n", SUBMIT_SENTINEL)).toBeUndefined();
    expect(sentinelWords("PUSHPALS_GIVE_UP x\n", SUBMIT_SENTINEL)).toBeUndefined();
    expect(sentinelWords("", GIVE_UP_SENTINEL)).toBeUndefined();
  });
});
