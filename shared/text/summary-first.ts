import { lastLines } from "./last-lines.js";

/**
 * A failure's output as a person reads it in an error or an event: the summary lines first (they
 * name the cause: "55 failing", the first assertion), then the output as it was kept. Shared by
 * the agent's validation, the script lane and integration's checks, so all of them read the same.
 */
export function summaryFirst(summary: readonly string[], output: { title: string; text: string }): string {
  const block = `--- ${output.title} ---\n${output.text}`;
  if (summary.length === 0) return block;
  return `--- summary lines (picked from the whole output) ---\n${summary.join("\n")}\n${block}`;
}

/** Of a failure's output, an error message quotes this many last lines, after its summary lines. */
export const QUOTED_LAST_LINES = 20;

/** A failed command's output as an error message quotes it: its summary lines, then its last lines. */
export function quoteFailureOutput(summary: readonly string[], tail: string): string {
  const text = lastLines(tail, QUOTED_LAST_LINES);
  return summaryFirst(summary, { title: `its last ${QUOTED_LAST_LINES} lines`, text: text === "" ? "(no output)" : text });
}
