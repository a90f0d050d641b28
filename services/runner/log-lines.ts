/**
 * Cuts one output stream into lines for the job log. A carriage return without a newline is a
 * terminal redraw (progress bars, spinners): the line is kept as the terminal would finally show
 * it, not as every frame. A stream that never prints a newline is cut every `maxLineChars`.
 */
export interface LineAssembler {
  /** The complete lines this text finishes. */
  push(text: string): string[];
  /** What is left once the stream ended. */
  flush(): string[];
}

export function lineAssembler(maxLineChars: number): LineAssembler {
  let partial = "";
  return {
    push(text) {
      const pieces = (partial + text).split("\n");
      partial = foldRedraws(pieces.pop()!);
      const lines = pieces.map(collapseRedraws);
      while (partial.length > maxLineChars) {
        lines.push(collapseRedraws(partial.slice(0, maxLineChars)));
        partial = partial.slice(maxLineChars);
      }
      return lines;
    },
    flush() {
      const rest = collapseRedraws(partial);
      partial = "";
      return rest === "" ? [] : [rest];
    },
  };
}

/**
 * What a terminal shows after printing `line`: each carriage return moves back to column 0 and
 * the text after it overwrites what was there ("50%\r100%" → "100%", "abcdef\rxy" → "xycdef").
 */
export function collapseRedraws(line: string): string {
  if (!line.includes("\r")) return line;
  return line.split("\r").reduce((shown, frame) => frame + shown.slice(frame.length));
}

/**
 * Keeps an unfinished line small while a progress bar redraws it thousands of times: every frame
 * but the one being written is folded into what the terminal shows, and the last carriage return
 * is kept so the next frame still overwrites.
 */
function foldRedraws(partial: string): string {
  const last = partial.lastIndexOf("\r");
  if (last <= 0) return partial;
  return `${collapseRedraws(partial.slice(0, last))}\r${partial.slice(last + 1)}`;
}
