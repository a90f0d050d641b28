/**
 * Keeps the head and the tail of a stream of unknown length in bounded memory: the
 * start shows what ran, the end shows how it failed.
 */
export interface OutputWindow {
  push(chunk: string): void;
  text(): string;
}

export function outputWindow(headChars = 4 * 1024, tailChars = 12 * 1024): OutputWindow {
  let head = "";
  let tail = "";
  let dropped = 0;
  return {
    push(chunk) {
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
  };
}
