import { loadPromptSet, promptsDir, type PromptSet } from "../../shared/prompts.js";

/** Every prompt the planner sends, each a file `prompts/planner/<name>.md`, with the variables it may use. */
export const PLANNER_PROMPTS = {
  system: [],
  request: ["request_text", "base_branch", "tree_summary", "git_status", "recent_jobs", "recent_messages"],
  repair: ["errors"],
} as const;

export type PlannerPrompts = PromptSet<typeof PLANNER_PROMPTS>;

export function loadPlannerPrompts(dir = promptsDir("planner")): Promise<PlannerPrompts> {
  return loadPromptSet(dir, PLANNER_PROMPTS);
}
