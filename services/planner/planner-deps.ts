import type { Clients } from "../../shared/clients.js";
import type { ApprovalsSection } from "../../shared/config/sections/approvals.js";
import type { Model } from "../../shared/llm/model.js";
import type { Logger } from "../../shared/log.js";
import type { PromptSources } from "./plan-prompt.js";
import type { PlannerPrompts } from "./planner-prompts.js";
import type { PlannerSettings } from "./planner-settings.js";

/** What planning needs, built once per process from the service context. */
export interface PlannerDeps extends PromptSources {
  clients: Clients;
  model: Model;
  prompts: PlannerPrompts;
  settings: PlannerSettings;
  logger: Logger;
  /** [approvals]: which plans wait for a person before their job is enqueued. */
  approvals: ApprovalsSection;
}
