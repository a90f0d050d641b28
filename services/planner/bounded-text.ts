/**
 * Head and tail of a text that may be huge (a model reply, a failure reason), with the cut
 * said in words, so prompts, events and queue errors stay small whatever arrives.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.floor(max / 4);
  const head = max - tail;
  return `${text.slice(0, head)}\n… ${text.length - head - tail} characters elided …\n${text.slice(text.length - tail)}`;
}

/** One line of at most `max` characters, for lists in prompts and replies. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
