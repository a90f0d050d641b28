/** Text kept within a size: its head and tail, and how much of the middle was left out. */
export interface ClippedText {
  head: string;
  tail: string;
  totalChars: number;
  elidedChars: number;
}

export interface BoundedText {
  append(text: string): void;
  result(): ClippedText;
}

/**
 * Keeps the first and last `maxChars / 2` characters of a stream of text as it arrives, so a
 * command that prints gigabytes costs the runner no more memory than one that prints a page.
 */
export function boundedText(maxChars: number): BoundedText {
  const headMax = Math.ceil(maxChars / 2);
  const tailMax = Math.floor(maxChars / 2);
  let head = "";
  let tail = "";
  let total = 0;
  return {
    append(text) {
      total += text.length;
      const room = headMax - head.length;
      if (room > 0) {
        head += text.slice(0, room);
        text = text.slice(room);
      }
      if (text.length > 0 && tailMax > 0) tail = (tail + text).slice(-tailMax);
    },
    result: () => ({ head, tail, totalChars: total, elidedChars: total - head.length - tail.length }),
  };
}

export function clipText(text: string, maxChars: number): ClippedText {
  const bounded = boundedText(maxChars);
  bounded.append(text);
  return bounded.result();
}

/** Head and tail joined, with a marker line where the middle was left out. */
export function joinClipped(clipped: ClippedText): string {
  if (clipped.elidedChars === 0) return clipped.head + clipped.tail;
  return `${clipped.head}\n[... ${clipped.elidedChars} characters elided ...]\n${clipped.tail}`;
}

export function lastChars(text: string, maxChars: number): string {
  return text.length > maxChars ? text.slice(-maxChars) : text;
}
