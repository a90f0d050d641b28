import { invalidArgument } from "../../../shared/errors.js";
import { COMMAND_PLACEHOLDER, COMMAND_TEMPLATE_PLACEHOLDERS } from "../../../shared/config/sections/agent.js";

export type CommandPlaceholder = (typeof COMMAND_TEMPLATE_PLACEHOLDERS)[number];

/** Where the wrapper script leaves the instruction inside the sandbox. */
export const INSTRUCTION_FILE_VARIABLE = "PUSHPALS_INSTRUCTION_FILE";

export function checkCommandTemplate(template: string): void {
  if (template.trim() === "") {
    throw invalidArgument("agent.command.template", 'is empty; set the agent CLI to run, e.g. "mini -y -m openai/{model} -t \\"$(cat {instruction_file})\\""');
  }
  for (const [, name] of template.matchAll(COMMAND_PLACEHOLDER)) {
    if (!(COMMAND_TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name!)) {
      throw invalidArgument("agent.command.template", `uses {${name}}; the placeholders are ${COMMAND_TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`);
    }
  }
}

/**
 * The CLI's command line with every placeholder replaced by a shell word: literals are single
 * quoted, and the instruction is read from its file by the shell, so no value can break out.
 */
export function renderCommandTemplate(template: string, values: { model: string; workdir: string }): string {
  const words: Record<CommandPlaceholder, string> = {
    instruction_file: `"$${INSTRUCTION_FILE_VARIABLE}"`,
    instruction: `"$(cat "$${INSTRUCTION_FILE_VARIABLE}")"`,
    model: shellQuote(values.model),
    workdir: shellQuote(values.workdir),
  };
  return template.replace(COMMAND_PLACEHOLDER, (_, name: CommandPlaceholder) => words[name]);
}

/**
 * The script the sandbox runs: the instruction arrives on stdin and goes to a private temp file
 * (not the worktree, where it would show up in the job's diff), then the CLI runs with that
 * file named in the environment. The CLI's stdin is at EOF, so a CLI that asks a question fails
 * instead of hanging. The file is removed when the script exits, keeping the CLI's exit code.
 */
export function cliScript(commandLine: string): string {
  return [
    `${INSTRUCTION_FILE_VARIABLE}="$(mktemp -d)/instruction.md" || exit 125`,
    `trap 'rm -rf "$(dirname "$${INSTRUCTION_FILE_VARIABLE}")"' EXIT`,
    `cat > "$${INSTRUCTION_FILE_VARIABLE}" || exit 125`,
    `export ${INSTRUCTION_FILE_VARIABLE}`,
    commandLine,
  ].join("\n");
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
