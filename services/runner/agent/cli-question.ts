import { ASK_SENTINEL, sentinelWords } from "./sentinels.js";

/**
 * The question an agent CLI asks the person: the last line of its output that opens with the
 * ask sentinel (`PUSHPALS_ASK Should I …?`). A CLI prints much before it, so unlike the builtin
 * agent's commands the sentinel need not be the first line; the question is that one line.
 */
export function cliQuestion(output: string): string | undefined {
  const lines = output.split("\n");
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const words = sentinelWords(lines[index]!, ASK_SENTINEL);
    if (words) return words;
  }
  return undefined;
}
