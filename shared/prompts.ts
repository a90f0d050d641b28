import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { failedPrecondition } from "./errors.js";
import { packageRoot } from "./paths.js";

/**
 * Prompts live as files under `prompts/<set>/<name>.md` and use `{{variable}}` placeholders.
 * A set is declared in code as name → the variables its file may use, so a typo in a prompt
 * fails when the service starts, and a missing value fails when the prompt is rendered —
 * never a prompt with a hole in it sent to a model.
 */
export type PromptSpec = Readonly<Record<string, readonly string[]>>;

export type PromptValues<S extends PromptSpec, N extends keyof S> = Readonly<Record<S[N][number], string | number>>;

export interface PromptSet<S extends PromptSpec> {
  render<N extends keyof S & string>(name: N, values: PromptValues<S, N>): string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function promptsDir(set: string): string {
  return join(packageRoot(), "prompts", set);
}

/** Reads every file of a set once and checks each uses only its declared variables. */
export async function loadPromptSet<S extends PromptSpec>(dir: string, spec: S): Promise<PromptSet<S>> {
  const templates = new Map<string, string>();
  for (const [name, allowed] of Object.entries(spec)) {
    const file = join(dir, `${name}.md`);
    const text = await readFile(file, "utf8").catch((error: unknown) => {
      throw failedPrecondition(`cannot read the prompt ${file}: ${(error as Error).message}; restore it from the pushpals checkout`);
    });
    for (const [, variable] of text.matchAll(PLACEHOLDER)) {
      if (!allowed.includes(variable!)) {
        throw failedPrecondition(`prompt ${file} uses {{${variable}}}, which is not one of its variables (${allowed.join(", ") || "none"}); fix the prompt file`);
      }
    }
    templates.set(name, text.trimEnd());
  }
  return {
    render(name, values) {
      const template = templates.get(name);
      if (template === undefined) throw new Error(`no prompt named "${name}" in ${dir}`);
      return renderTemplate(template, values, `prompt ${join(dir, `${name}.md`)}`);
    },
  };
}

/**
 * Replaces each `{{name}}` with its value in one pass, so a value that itself holds `{{...}}`
 * (a person's message, command output) is never expanded. A placeholder without a value is a
 * bug in the caller and throws.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string | number>>, what = "template"): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) throw new Error(`${what} needs a value for {{${name}}} but none was given`);
    return String(value);
  });
}
