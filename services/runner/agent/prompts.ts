import { loadPromptSet, promptsDir, renderTemplate, type PromptSet } from "../../../shared/prompts.js";

/** Every prompt the agent sends, each a file `prompts/agent/<name>.md`, with the variables it may use. */
const PROMPT_VARIABLES = {
  system: ["workdir", "command_timeout_seconds"],
  instance: ["instruction", "acceptance_criteria", "scope", "validation_steps", "max_steps", "sentinel", "give_up_sentinel", "ask_sentinel"],
  "format-error": ["problem", "sentinel"],
  observation: ["exit_code", "notes", "output"],
  timeout: ["timeout_seconds", "exit_code"],
  "output-truncated": ["total_chars", "elided_chars"],
  limits: ["steps_left", "max_steps", "sentinel"],
  "validation-failed": ["round", "max_rounds", "failures", "sentinel", "give_up_sentinel"],
  "validation-failure": ["command", "exit_code", "notes", "output"],
  "summary-lines": ["lines"],
  "command-refused": ["reason"],
  "person-answer": ["author", "question", "answer"],
  "person-follow-up": ["author", "text"],
  "no-person": ["question"],
  "person-earlier": ["conversation"],
  "command-instruction": ["instruction", "acceptance_criteria", "scope", "validation_steps", "revision", "ask_sentinel", "conversation"],
  "command-conversation": ["messages"],
  "command-revision": ["round", "max_rounds", "failures"],
} as const;

export type AgentPrompts = PromptSet<typeof PROMPT_VARIABLES>;
export { renderTemplate };

export function defaultPromptsDir(): string {
  return promptsDir("agent");
}

/**
 * Reads every agent prompt once and checks that each uses only the variables the code gives it,
 * so a typo in a prompt file fails when the runner starts, not in the middle of a job.
 */
export function loadAgentPrompts(dir = defaultPromptsDir()): Promise<AgentPrompts> {
  return loadPromptSet(dir, PROMPT_VARIABLES);
}
