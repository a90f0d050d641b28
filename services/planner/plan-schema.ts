import { z } from "zod";

/**
 * The plan as the model writes it (snake_case JSON), validated strictly before anything is
 * enqueued. Bounds match what the jobs queue accepts for a task.execute payload, so a plan
 * that passes here never fails at enqueue.
 */
const DAY_SECONDS = 86_400;

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes("\0"), "must not contain a NUL character");
const requiredText = (max: number) => text(max).refine((value) => value.trim() !== "", "must not be empty");

/** Repository-relative globs: an absolute path or a `..` segment would point outside the repository. */
const glob = requiredText(500).refine(
  (value) => !value.startsWith("/") && !value.split("/").includes(".."),
  "must be relative to the repository root, without a leading / or a .. segment",
);

const scope = z.strictObject({
  read_anywhere: z.boolean(),
  write_allowed: z.boolean(),
  write_globs: z.array(glob).max(200),
  forbidden_globs: z.array(glob).max(200),
  max_files_to_edit: z.number().int().min(0).max(10_000).describe("0 means no limit beyond the supervisor's own"),
});

const budgets = z.strictObject({
  queue_wait_seconds: z
    .number()
    .int()
    .min(0)
    .max(30 * DAY_SECONDS)
    .default(3600),
  execution_seconds: z.number().int().min(1).max(DAY_SECONDS).default(1800),
  finalization_seconds: z.number().int().min(1).max(DAY_SECONDS).default(600),
  max_steps: z.number().int().min(0).max(1000).default(0).describe("0 means the supervisor's default"),
  max_tokens: z.number().int().min(0).max(1_000_000_000).default(0).describe("0 means the supervisor's default"),
});

export const planSchema = z
  .strictObject({
    intent: z.enum(["chat", "status", "code_change", "analysis", "other"]),
    requires_worker: z.boolean().describe("true when a job must run in the repository"),
    lane: z.enum(["deterministic", "worker"]).describe("deterministic: worker_instruction is a shell script run as-is; worker: a coding agent"),
    risk: z.enum(["low", "medium", "high"]),
    scope,
    acceptance_criteria: z.array(requiredText(2000)).max(50),
    validation_steps: z.array(requiredText(4000)).max(50).describe("shell commands that must all exit 0 after the work"),
    assistant_message: requiredText(4000).describe("what the person is told right away"),
    worker_instruction: text(256 * 1024).describe("the job's task (or script); empty when requires_worker is false"),
    budgets: budgets.prefault({}),
    clarifying_question: text(2000)
      .default("")
      .describe("only when the ask is too ambiguous to plan: one question for the person, asked instead of doing work (requires_worker false)"),
  })
  // Runs even when fields above failed, so one repair prompt lists every problem at once;
  // hence the guarded reads: any field may still be missing or of the wrong type here.
  .superRefine(
    (plan, context) => {
      const scope = plan.scope as Partial<ModelPlan["scope"]> | undefined;
      const instruction = typeof plan.worker_instruction === "string" ? plan.worker_instruction : undefined;
      if (plan.requires_worker === true && instruction !== undefined && instruction.trim() === "") {
        context.addIssue({ code: "custom", path: ["worker_instruction"], message: "must say what the job does when requires_worker is true" });
      }
      if (scope?.write_allowed === false && Array.isArray(scope.write_globs) && scope.write_globs.length > 0) {
        context.addIssue({ code: "custom", path: ["scope", "write_globs"], message: "must be empty when write_allowed is false" });
      }
      if (plan.requires_worker === true && typeof plan.clarifying_question === "string" && plan.clarifying_question.trim() !== "") {
        context.addIssue({ code: "custom", path: ["clarifying_question"], message: "must be empty when requires_worker is true (ask first, plan the work once answered)" });
      }
      if (plan.requires_worker === true && plan.intent === "code_change" && scope?.write_allowed === false) {
        context.addIssue({ code: "custom", path: ["scope", "write_allowed"], message: "must be true for a code_change that requires a worker" });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );

export type ModelPlan = z.output<typeof planSchema>;
