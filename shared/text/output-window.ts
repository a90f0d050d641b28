import { failureSummary } from "./failure-summary.js";

/**
 * Keeps the head and the tail of a stream of unknown length in bounded memory: the
 * start shows what ran, the end shows how it failed. The summary lines of the whole
 * stream ("55 failing", the first assertion) are picked as it passes, so those in the
 * dropped middle are kept too.
 */
export interface OutputWindow {
  /** `stream` (stdout, stderr) keeps each stream's lines whole for the summary. */
  push(chunk: string, stream?: string): void;
  text(): string;
  summary(): string[];
}

export function outputWindow(headChars = 4 * 1024, tailChars = 12 * 1024): OutputWindow {
  let head = "";
  let tail = "";
  let dropped = 0;
  const summary = failureSummary();
  return {
    push(chunk, stream) {
      summary.push(chunk, stream);
      if (head.length < headChars) {
        const room = headChars - head.length;
        head += chunk.slice(0, room);
        chunk = chunk.slice(room);
      }
      if (chunk === "") return;
      tail += chunk;
      if (tail.length > tailChars) {
        dropped += tail.length - tailChars;
        tail = tail.slice(tail.length - tailChars);
      }
    },
    text() {
      return dropped > 0 ? `${head}\n… ${dropped} characters omitted …\n${tail}` : head + tail;
    },
    summary: () => summary.lines(),
  };
}
