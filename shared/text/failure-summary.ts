import { cleanLine, summaryKind } from "./summary-line.js";
import { clipEnd } from "./clip.js";

export interface SummaryLimits {
  /** Lines in the summary; up to a third of them are counts, kept from the end. */
  maxLines: number;
  /** Characters in the summary, line breaks included. */
  maxChars: number;
}

/** Enough for a run's counts and its first few failures, small enough to quote in an error. */
export const SUMMARY_LIMITS: SummaryLimits = { maxLines: 30, maxChars: 4096 };

/** One line longer than this is cut: summary lines are short, minified code and base64 are not. */
const MAX_LINE_CHARS = 240;
/** Of an unfinished line, this much is held to be matched; the rest of it is never looked at. */
const MAX_PARTIAL_CHARS = 2 * MAX_LINE_CHARS;

/**
 * The summary lines of a command's whole output (see summary-line.ts), found as the output
 * streams, in bounded memory, so lines in the middle a head-and-tail window drops are not lost.
 */
export interface FailureSummary {
  /** `stream` keeps stdout and stderr apart, so a line cut between chunks is joined with its own rest. */
  push(chunk: string, stream?: string): void;
  /** The summary so far, in output order, each line once; an unfinished last line counts too. */
  lines(): string[];
}

interface Kept {
  /** The line's number in the output, for the order. */
  at: number;
  line: string;
}

interface Store {
  tallies: Kept[];
  details: Kept[];
}

/**
 * Counts (what a run ends with) are kept from the end, the rest (which test failed and how) from
 * the start: the first failure usually explains the others, and the final count says how many.
 */
export function failureSummary(limits: SummaryLimits = SUMMARY_LIMITS): FailureSummary {
  const maxTallies = Math.max(1, Math.floor(limits.maxLines / 3));
  const store: Store = { tallies: [], details: [] };
  const partial = new Map<string, string>();
  let lineCount = 0;

  const consider = (raw: string, at: number, into: Store) => {
    const line = clipEnd(cleanLine(raw), MAX_LINE_CHARS);
    const kind = summaryKind(line);
    if (!kind || into.tallies.some((kept) => kept.line === line) || into.details.some((kept) => kept.line === line)) return;
    if (kind === "tally") {
      into.tallies.push({ at, line });
      if (into.tallies.length > maxTallies) into.tallies.shift();
    } else if (into.details.length < limits.maxLines) {
      into.details.push({ at, line });
    }
  };

  return {
    push(chunk, stream = "") {
      const pieces = chunk.split("\n");
      let held = partial.get(stream) ?? "";
      for (const [index, piece] of pieces.entries()) {
        if (index > 0) {
          consider(held, (lineCount += 1), store);
          held = "";
        }
        if (held.length < MAX_PARTIAL_CHARS) held += piece.slice(0, MAX_PARTIAL_CHARS - held.length);
      }
      partial.set(stream, held);
    },
    lines() {
      const now: Store = { tallies: [...store.tallies], details: [...store.details] };
      let at = lineCount;
      for (const held of partial.values()) consider(held, (at += 1), now);
      return bounded(now, limits);
    },
  };
}

/** The summary lines of a text already whole (a stored output, a test's sample). */
export function summaryLines(text: string, limits: SummaryLimits = SUMMARY_LIMITS): string[] {
  const summary = failureSummary(limits);
  summary.push(text);
  return summary.lines();
}

/** Counts first claim their room (the latest of them); the failures fill what is left, earliest first. */
function bounded({ tallies, details }: Store, limits: SummaryLimits): string[] {
  const size = (kept: Kept) => kept.line.length + 1;
  const chosen: Kept[] = [];
  let chars = 0;
  for (const kept of [...tallies].reverse()) {
    if (chars + size(kept) > limits.maxChars) break;
    chosen.push(kept);
    chars += size(kept);
  }
  for (const kept of details) {
    if (chosen.length >= limits.maxLines || chars + size(kept) > limits.maxChars) break;
    chosen.push(kept);
    chars += size(kept);
  }
  return chosen.sort((a, b) => a.at - b.at).map((kept) => kept.line);
}
