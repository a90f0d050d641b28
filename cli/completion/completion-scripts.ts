/** A command and the flags it takes, as completion offers them. */
export interface CompletionSpec {
  name: string;
  flags: string[];
}

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** Flags every command takes besides its own (cli/main.ts handles them). */
const GLOBAL_FLAGS = ["--help", "--log-format"];
const LOG_FORMATS = "pretty json";

/** The `--flag` words of a usage text, so the completions follow the usage without a second list. */
export function flagsOf(usage: string): string[] {
  return [...new Set([...(usage.match(/--[a-z][a-z-]*/g) ?? []), ...GLOBAL_FLAGS])].sort();
}

export function completionScript(shell: Shell, specs: CompletionSpec[]): string {
  switch (shell) {
    case "bash":
      return bashScript(specs);
    case "zsh":
      // zsh runs bash completions through bashcompinit: one script to keep right instead of two.
      return `#compdef pushpals\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(specs)}`;
    case "fish":
      return fishScript(specs);
  }
}

function bashScript(specs: CompletionSpec[]): string {
  const cases = specs.map(({ name, flags }) => `    ${name}) flags="${flags.join(" ")}" ;;`).join("\n");
  return `# pushpals completion for bash: source <(pushpals completion bash)
_pushpals() {
  local cur prev command flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${specs.map((spec) => spec.name).join(" ")} help --version --help" -- "$cur") )
    return
  fi
  if [ "$prev" = "--log-format" ]; then
    COMPREPLY=( $(compgen -W "${LOG_FORMATS}" -- "$cur") )
    return
  fi
  command="\${COMP_WORDS[1]}"
  case "$command" in
${cases}
    completion) COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") ); return ;;
    *) flags="" ;;
  esac
  case "$prev" in
    --repo|--data-dir|--dir) COMPREPLY=( $(compgen -d -- "$cur") ); return ;;
  esac
  COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
}
complete -o default -F _pushpals pushpals
`;
}

function fishScript(specs: CompletionSpec[]): string {
  const names = specs.map((spec) => spec.name).join(" ");
  const lines = [
    "# pushpals completion for fish: pushpals completion fish | source",
    "complete -c pushpals -f",
    `complete -c pushpals -n "not __fish_seen_subcommand_from ${names} help" -a "${names} help"`,
    `complete -c pushpals -n "not __fish_seen_subcommand_from ${names} help" -l version`,
    `complete -c pushpals -l log-format -x -a "${LOG_FORMATS}"`,
    `complete -c pushpals -n "__fish_seen_subcommand_from completion" -a "bash zsh fish"`,
  ];
  for (const { name, flags } of specs) {
    for (const flag of flags) {
      if (flag === "--log-format") continue;
      const directory = ["--repo", "--data-dir", "--dir"].includes(flag) ? " -r -a '(__fish_complete_directories)'" : "";
      lines.push(`complete -c pushpals -n "__fish_seen_subcommand_from ${name}" -l ${flag.slice(2)}${directory}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
