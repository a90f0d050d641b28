/** A git command that exited with a code its caller did not take as an answer. */
export class GitError extends Error {
  override name = "GitError";
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    /** stderr, then stdout (some commands, such as push --porcelain, give the reason on stdout). */
    readonly stderr: string,
  ) {
    super(`git ${gitSubcommand(args) || "(no subcommand)"} failed (exit ${exitCode}): ${lastLines(stderr, 6) || "no output"}`);
  }
}

/** Options that take the next argument as their value: `-c name=value`, `-C dir`. */
const OPTIONS_WITH_VALUE = new Set(["-c", "-C"]);

/** How many leading arguments are git's own options (before the subcommand). */
export function globalOptionCount(args: readonly string[]): number {
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-")) i += OPTIONS_WITH_VALUE.has(args[i]!) ? 2 : 1;
  return Math.min(i, args.length);
}

/** The git subcommand of an argument list, skipping git's own leading options. */
export function gitSubcommand(args: readonly string[]): string {
  return args[globalOptionCount(args)] ?? "";
}

/** The last lines of a git error, for messages people read. */
export function gitProblem(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().split("\n").filter(Boolean).slice(-3).join(" | ") || "git failed without a message";
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join(" | ");
}
