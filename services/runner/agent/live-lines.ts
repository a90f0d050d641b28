import type { OutputChunk } from "../../../sandbox/driver.js";

export interface LiveLines {
  /** Complete lines in `chunk` (joined with what its stream held back), for the live log. */
  push(chunk: OutputChunk): string[];
  /** What is left of unfinished lines once the command ended. */
  flush(): string[];
}

/**
 * Cuts a command's output into whole lines for the job's live log, each stream on its own so
 * interleaved stdout and stderr never splice into one line. After `maxChars` the rest is not
 * logged (one line says so): the model's view of the output is kept elsewhere, bounded too.
 */
export function liveLines(maxChars: number): LiveLines {
  const partial: Record<OutputChunk["stream"], string> = { stdout: "", stderr: "" };
  let logged = 0;
  let capped = false;
  const take = (lines: string[]): string[] => {
    if (capped) return [];
    const out: string[] = [];
    for (const line of lines) {
      if (logged + line.length > maxChars) {
        capped = true;
        out.push(`[output continues past ${maxChars} characters; the rest is not logged live]`);
        break;
      }
      logged += line.length + 1;
      out.push(line);
    }
    return out;
  };
  return {
    push(chunk) {
      const text = partial[chunk.stream] + chunk.data;
      const lines = text.split("\n");
      partial[chunk.stream] = lines.pop()!;
      // A stream that never prints a newline still shows up, in pieces of at most maxChars.
      if (partial[chunk.stream].length > maxChars) {
        lines.push(partial[chunk.stream]);
        partial[chunk.stream] = "";
      }
      return take(lines);
    },
    flush() {
      const rest = [partial.stdout, partial.stderr].filter((line) => line !== "");
      partial.stdout = partial.stderr = "";
      return take(rest);
    },
  };
}
