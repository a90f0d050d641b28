import type { Clients } from "../kernel/clients.js";
import type { ApprovalsSection } from "../kernel/config/sections/approvals.js";
import type { Model } from "../kernel/llm/model.js";
import type { Logger } from "../kernel/log.js";
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
