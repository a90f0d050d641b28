/**
 * The one way text is cut to a size, so a cut always reads the same: a single line ends in "…",
 * a long text keeps its head and tail and says how much of the middle went.
 */

/** At most `max` characters, the last of them "…" when something was cut. */
export function clipEnd(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** White space folded to single spaces, then clipped to `max` characters: for lists and log lines. */
export function oneLine(text: string, max: number): string {
  return clipEnd(text.replace(/\s+/g, " ").trim(), max);
}

/**
 * Head (three quarters) and tail (a quarter) of a text that may be huge (a model reply, a failure
 * reason), with the cut said in words, so prompts, events and queue errors stay small.
 */
export function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.floor(max / 4);
  const head = max - tail;
  return `${text.slice(0, head)}\n… ${text.length - head - tail} characters elided …\n${text.slice(text.length - tail)}`;
}
