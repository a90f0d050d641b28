import { create } from "@bufbuild/protobuf";
import { Intent, Lane, PlanSchema, Risk, type Plan } from "../../gen/pushpals/v1/task_pb.js";
import { durationFromMs } from "../../shared/time.js";
import type { ModelPlan } from "./plan-schema.js";

const INTENTS: Record<ModelPlan["intent"], Intent> = {
  chat: Intent.CHAT,
  status: Intent.STATUS,
  code_change: Intent.CODE_CHANGE,
  analysis: Intent.ANALYSIS,
  other: Intent.OTHER,
};
const LANES: Record<ModelPlan["lane"], Lane> = { deterministic: Lane.DETERMINISTIC, worker: Lane.WORKER };
const RISKS: Record<ModelPlan["risk"], Risk> = { low: Risk.LOW, medium: Risk.MEDIUM, high: Risk.HIGH };

/** The validated model plan as the contract's Plan message. */
export function toPlanMessage(plan: ModelPlan): Plan {
  const { scope, budgets } = plan;
  return create(PlanSchema, {
    planning: {
      intent: INTENTS[plan.intent],
      risk: RISKS[plan.risk],
      scope: {
        readAnywhere: scope.read_anywhere,
        writeAllowed: scope.write_allowed,
        writeGlobs: scope.write_globs,
        forbiddenGlobs: scope.forbidden_globs,
        maxFilesToEdit: scope.max_files_to_edit,
      },
      acceptanceCriteria: plan.acceptance_criteria,
      validationSteps: plan.validation_steps,
      budgets: {
        queueWait: durationFromMs(budgets.queue_wait_seconds * 1000),
        execution: durationFromMs(budgets.execution_seconds * 1000),
        finalization: durationFromMs(budgets.finalization_seconds * 1000),
        maxSteps: budgets.max_steps,
        maxTokens: BigInt(budgets.max_tokens),
      },
    },
    requiresWorker: plan.requires_worker,
    lane: LANES[plan.lane],
    assistantMessage: plan.assistant_message,
    workerInstruction: plan.requires_worker ? plan.worker_instruction : "",
    clarifyingQuestion: plan.clarifying_question.trim(),
  });
}
