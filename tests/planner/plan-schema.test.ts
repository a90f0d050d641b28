import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Intent, Lane, PlanSchema, Risk } from "../../gen/pushpals/v1/task_pb.js";
import { durationFromMs } from "../../shared/time.js";
import { toPlanMessage } from "../../services/planner/plan-message.js";
import { planSchema } from "../../services/planner/plan-schema.js";

const valid = {
  intent: "analysis",
  requires_worker: true,
  lane: "deterministic",
  risk: "medium",
  scope: { read_anywhere: true, write_allowed: false, write_globs: [], forbidden_globs: ["secrets/**"], max_files_to_edit: 0 },
  acceptance_criteria: ["the report lists every TODO"],
  validation_steps: [],
  assistant_message: "I will list the TODOs.",
  worker_instruction: "grep -rn TODO .",
};

function problems(input: unknown): string[] {
  const result = planSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("the plan schema", () => {
  it("accepts a valid plan and fills the budgets it leaves out", () => {
    expect(problems(valid)).toEqual([]);
    expect(planSchema.parse(valid).budgets).toEqual({ queue_wait_seconds: 3600, execution_seconds: 1800, finalization_seconds: 600, max_steps: 0, max_tokens: 0 });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["an unknown intent", { intent: "refactor" }, /^intent: Invalid option/],
    ["an unknown field", { confidence: 0.9 }, /Unrecognized key: "confidence"/],
    ["requires_worker without an instruction", { worker_instruction: "  " }, /^worker_instruction: must say what the job does/],
    ["write globs without write access", { scope: { ...valid.scope, write_globs: ["src/**"] } }, /^scope.write_globs: must be empty when write_allowed is false/],
    ["a code change that may not write", { intent: "code_change" }, /^scope.write_allowed: must be true for a code_change/],
    ["an absolute glob", { scope: { ...valid.scope, forbidden_globs: ["/etc/**"] } }, /^scope.forbidden_globs.0: must be relative/],
    ["a glob climbing out", { scope: { ...valid.scope, forbidden_globs: ["src/../../x"] } }, /^scope.forbidden_globs.0: must be relative/],
    ["an empty validation command", { validation_steps: [""] }, /^validation_steps.0: must not be empty/],
    ["51 acceptance criteria", { acceptance_criteria: Array.from({ length: 51 }, () => "ok") }, /^acceptance_criteria: Too big/],
    ["a fractional file limit", { scope: { ...valid.scope, max_files_to_edit: 1.5 } }, /^scope.max_files_to_edit: Invalid input: expected int/],
    ["a budget over a day", { budgets: { execution_seconds: 86_401 } }, /^budgets.execution_seconds: Too big/],
    ["a NUL in the message", { assistant_message: "a\0b" }, /^assistant_message: must not contain a NUL/],
  ])("refuses %s", (_, change, problem) => {
    expect(problems({ ...valid, ...change })).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });

  it("reports a broken field and a broken cross-field rule together, so one repair can fix both", () => {
    const found = problems({ ...valid, lane: "robot", worker_instruction: "" });
    expect(found).toEqual([expect.stringMatching(/^lane:/), expect.stringMatching(/^worker_instruction:/)]);
  });

  it("is sent as a JSON schema the endpoint can hold the model to", () => {
    const schema = z.toJSONSchema(planSchema, { io: "input" }) as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toEqual(["intent", "requires_worker", "lane", "risk", "scope", "acceptance_criteria", "validation_steps", "assistant_message", "worker_instruction"]);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe("toPlanMessage", () => {
  it("maps every field onto the contract's Plan", () => {
    const plan = toPlanMessage(planSchema.parse({ ...valid, budgets: { queue_wait_seconds: 60, max_tokens: 5000 } }));
    expect(plan).toEqual(
      create(PlanSchema, {
        planning: {
          intent: Intent.ANALYSIS,
          risk: Risk.MEDIUM,
          scope: { readAnywhere: true, writeAllowed: false, writeGlobs: [], forbiddenGlobs: ["secrets/**"], maxFilesToEdit: 0 },
          acceptanceCriteria: ["the report lists every TODO"],
          validationSteps: [],
          budgets: { queueWait: durationFromMs(60_000), execution: durationFromMs(1_800_000), finalization: durationFromMs(600_000), maxSteps: 0, maxTokens: 5000n },
        },
        requiresWorker: true,
        lane: Lane.DETERMINISTIC,
        assistantMessage: "I will list the TODOs.",
        workerInstruction: "grep -rn TODO .",
      }),
    );
  });

  it("drops a worker instruction the plan does not need", () => {
    expect(toPlanMessage(planSchema.parse({ ...valid, requires_worker: false })).workerInstruction).toBe("");
  });
});
