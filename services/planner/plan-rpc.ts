import type { ServiceImpl } from "@connectrpc/connect";
import { z } from "zod";
import type { PlanningService } from "../../gen/pushpals/v1/planning_pb.js";
import { isId } from "../../shared/ids.js";
import { boundedString, parseRequest } from "../../shared/rpc/validate.js";
import { buildPlanMessages } from "./plan-prompt.js";
import { planWithRepair } from "./plan-with-repair.js";
import { toPlanMessage } from "./plan-message.js";
import type { PlannerDeps } from "./planner-deps.js";

const planRequest = z.object({
  text: boundedString("request text", 64 * 1024),
  sessionId: z.string().refine((value) => value === "" || isId("session", value), "must be empty or a session id like ses_01J…"),
});

/**
 * PlanningService.Plan: the planner as a dry run. Same prompt, model, validation and repair
 * as a claimed request, but nothing is enqueued and nothing is recorded; a plan that stays
 * invalid, or a model that cannot be reached, is the call's error.
 */
export function planningService(deps: () => Promise<PlannerDeps>): ServiceImpl<typeof PlanningService> {
  return {
    async plan(message, ctx) {
      const req = parseRequest(planRequest, message);
      const planner = await deps();
      const logger = planner.logger.child({ rpc: "Plan", sessionId: req.sessionId || undefined });
      const messages = await buildPlanMessages(planner, { text: req.text, sessionId: req.sessionId || undefined }, ctx.signal);
      const outcome = await planWithRepair(planner.model, planner.prompts, messages, { signal: ctx.signal, logger, maxTokens: planner.settings.maxTokens });
      if (!outcome.ok) throw outcome.error;
      logger.info({ modelCalls: outcome.calls.length }, "dry-run plan made");
      return { plan: toPlanMessage(outcome.plan), modelCalls: outcome.calls.length };
    },
  };
}
