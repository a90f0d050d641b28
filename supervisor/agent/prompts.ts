import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { failedPrecondition } from "../../services/kernel/errors.js";
import { packageRoot } from "../../services/kernel/paths.js";

/** Every prompt the agent sends, each a file `prompts/agent/<name>.md`, with the variables it may use. */
const PROMPT_VARIABLES = {
  system: ["workdir", "command_timeout_seconds"],
  instance: ["instruction", "acceptance_criteria", "scope", "validation_steps", "max_steps", "sentinel", "give_up_sentinel"],
  "format-error": ["problem", "sentinel"],
  observation: ["exit_code", "notes", "output"],
  timeout: ["timeout_seconds", "exit_code"],
  "output-truncated": ["total_chars", "elided_chars"],
  limits: ["steps_left", "max_steps", "sentinel"],
  "validation-failed": ["round", "max_rounds", "failures", "sentinel", "give_up_sentinel"],
  "validation-failure": ["command", "exit_code", "notes", "output"],
  "summary-lines": ["lines"],
  "command-instruction": ["instruction", "acceptance_criteria", "scope", "validation_steps", "revision"],
  "command-revision": ["round", "max_rounds", "failures"],
} as const;

export type PromptName = keyof typeof PROMPT_VARIABLES;
export type PromptVariables<N extends PromptName> = Record<(typeof PROMPT_VARIABLES)[N][number], string | number>;

export interface AgentPrompts {
  render<N extends PromptName>(name: N, variables: PromptVariables<N>): string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function defaultPromptsDir(): string {
  return join(packageRoot(), "prompts", "agent");
}

/**
 * Reads every agent prompt once and checks that each uses only the variables the code gives it,
 * so a typo in a prompt file fails when the runner starts, not in the middle of a job.
 */
export async function loadAgentPrompts(dir = defaultPromptsDir()): Promise<AgentPrompts> {
  const templates = new Map<PromptName, string>();
  for (const name of Object.keys(PROMPT_VARIABLES) as PromptName[]) {
    const file = join(dir, `${name}.md`);
    const text = await readFile(file, "utf8").catch((error: unknown) => {
      throw failedPrecondition(`cannot read the agent prompt ${file}: ${(error as Error).message}; restore it from the pushpals checkout`);
    });
    const allowed: readonly string[] = PROMPT_VARIABLES[name];
    for (const [, variable] of text.matchAll(PLACEHOLDER)) {
      if (!allowed.includes(variable!)) {
        throw failedPrecondition(`agent prompt ${file} uses {{${variable}}}, which is not one of its variables (${allowed.join(", ")}); fix the prompt file`);
      }
    }
    templates.set(name, text.trimEnd());
  }
  return {
    render(name, variables) {
      return renderTemplate(templates.get(name)!, variables, `agent prompt "${name}"`);
    },
  };
}

/**
 * Replaces each `{{name}}` with its value in one pass, so a value that itself holds `{{...}}`
 * (command output often does) is never expanded. A placeholder without a value is a bug in the
 * caller and throws rather than sending the model a prompt with a hole in it.
 */
export function renderTemplate(template: string, variables: Readonly<Record<string, string | number>>, what = "template"): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`${what} needs a value for {{${name}}} but none was given`);
    return String(value);
  });
}
