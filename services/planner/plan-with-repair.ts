import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "../../shared/log.js";
import type { JsonReply, Model, ModelMessage, TokenCounts } from "../../shared/llm/model.js";
import { clipMiddle } from "../../shared/text/clip.js";
import { hintFor, INVALID_PLAN_HINT } from "./failure-hints.js";
import type { PlannerPrompts } from "./planner-prompts.js";
import { planSchema, type ModelPlan } from "./plan-schema.js";

export type PlanOutcome = { ok: true; plan: ModelPlan; calls: TokenCounts[] } | { ok: false; error: ConnectError; hint: string; calls: TokenCounts[] };

export interface PlanCallOptions {
  signal: AbortSignal;
  logger: Logger;
  /** Per model call; a plan is a page of JSON, so this also bounds a runaway reply. */
  maxTokens: number;
}

/** How much of a bad reply goes back to the model in the repair call. */
const REPAIR_ECHO_CHARS = 4000;
const REPAIR_ERRORS_CHARS = 4000;
const REASON_CHARS = 2000;

/**
 * Asks for a plan; when the reply does not validate, makes exactly one repair call that
 * carries the validation errors. Model errors (not configured, unreachable, cancelled) come
 * back as the outcome's error rather than thrown, together with the usage spent so far.
 */
export async function planWithRepair(model: Model, prompts: PlannerPrompts, messages: readonly ModelMessage[], options: PlanCallOptions): Promise<PlanOutcome> {
  const calls: TokenCounts[] = [];
  const ask = async (conversation: readonly ModelMessage[]): Promise<JsonReply<ModelPlan>> => {
    const reply = await model.completeJson(conversation, planSchema, { ...options, schemaName: "plan" });
    calls.push(reply.usage);
    return reply;
  };
  try {
    const first = await ask(messages);
    if (first.value) return { ok: true, plan: first.value, calls };
    const problem = problemOf(first);
    options.logger.warn({ problem: clipMiddle(problem, 500) }, "the model's plan did not validate; asking once more with the errors");
    const second = await ask([
      ...messages,
      { role: "assistant", content: first.raw.trim() === "" ? "(an empty reply)" : clipMiddle(first.raw, REPAIR_ECHO_CHARS) },
      { role: "user", content: prompts.render("repair", { errors: clipMiddle(problem, REPAIR_ERRORS_CHARS) }) },
    ]);
    if (second.value) return { ok: true, plan: second.value, calls };
    return { ok: false, error: invalidPlan(problemOf(second)), hint: INVALID_PLAN_HINT, calls };
  } catch (error) {
    if (error instanceof ConnectError) return { ok: false, error, hint: hintFor(error.code), calls };
    throw error;
  }
}

function problemOf(reply: JsonReply<ModelPlan>): string {
  if (reply.raw.trim() === "") return "the reply was empty. Reply with one JSON object matching the plan schema.";
  return reply.error ?? "the reply did not validate";
}

/** A model that cannot produce a valid plan in two tries; retrying the same request rarely helps. */
function invalidPlan(problem: string): ConnectError {
  return new ConnectError(
    `the model did not produce a valid plan in 2 tries (one repair); what was wrong with its last reply: ${clipMiddle(problem, REASON_CHARS)}`,
    Code.FailedPrecondition,
  );
}
