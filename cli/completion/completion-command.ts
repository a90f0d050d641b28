import { commandUsages } from "../command-usages.js";
import { completionScript, flagsOf, SHELLS, type Shell } from "./completion-scripts.js";

export const completionUsage = `pushpals completion bash|zsh|fish

Prints the shell completion script for pushpals' commands and flags. Load it with
  bash   source <(pushpals completion bash)          (in ~/.bashrc)
  zsh    source <(pushpals completion zsh)           (in ~/.zshrc)
  fish   pushpals completion fish | source           (or save it as ~/.config/fish/completions/pushpals.fish)`;

export async function completionCommand(args: string[]): Promise<void> {
  const [shell, ...rest] = args;
  if (shell === "--help" || shell === "-h") return void process.stdout.write(`${completionUsage}\n`);
  if (!isShell(shell) || rest.length > 0) {
    process.stderr.write(`pushpals completion: name one shell: ${SHELLS.join(", ")}${shell ? ` (got ${args.join(" ")})` : ""}\n\n${completionUsage}\n`);
    process.exit(2);
  }
  const specs = (await commandUsages()).map(({ name, usage }) => ({ name, flags: flagsOf(usage) }));
  process.stdout.write(completionScript(shell, specs));
}

function isShell(value: string | undefined): value is Shell {
  return (SHELLS as readonly (string | undefined)[]).includes(value);
}
