import { LogStream } from "../../gen/pushpals/v1/common_pb.js";

export interface LogEntry {
  stream: LogStream;
  text: string;
  /** Milliseconds since the epoch, when the line was produced. */
  time: number;
}

/**
 * Bounds one command's share of the job log: the first half of `maxBytes` is logged as it comes,
 * the last half is held back in a ring and logged when the command ends, and the middle is
 * replaced by one system line saying how much was left out. The head shows how it started, the
 * tail how it ended, which is where the error usually is.
 */
export interface OutputCap {
  /** The lines to log now. */
  push(entry: LogEntry): LogEntry[];
  /** The note about the elided middle (if any) and the held-back tail, once the command ended. */
  finish(): LogEntry[];
  /** Whether any output was left out. */
  readonly elided: boolean;
}

export function outputCap(maxBytes: number): OutputCap {
  const headBudget = Math.floor(maxBytes / 2);
  const tailBudget = maxBytes - headBudget;
  let headBytes = 0;
  let tail: { entry: LogEntry; bytes: number }[] = [];
  let tailBytes = 0;
  let elidedLines = 0;
  let elidedBytes = 0;
  return {
    push(entry) {
      const bytes = Buffer.byteLength(entry.text) + 1;
      if (tail.length === 0 && elidedLines === 0 && headBytes + bytes <= headBudget) {
        headBytes += bytes;
        return [entry];
      }
      tail.push({ entry, bytes });
      tailBytes += bytes;
      while (tailBytes > tailBudget && tail.length > 0) {
        const dropped = tail.shift()!;
        tailBytes -= dropped.bytes;
        elidedLines += 1;
        elidedBytes += dropped.bytes;
      }
      return [];
    },
    finish() {
      const held = tail.map(({ entry }) => entry);
      tail = [];
      tailBytes = 0;
      if (elidedLines === 0) return held;
      const note: LogEntry = {
        stream: LogStream.SYSTEM,
        text: `[${elidedLines} lines (${elidedBytes} bytes) of this command's output left out: it printed more than runner.maxOutputBytesPerCommand (${maxBytes} bytes); the first and last part are kept]`,
        time: held[0]?.time ?? Date.now(),
      };
      return [note, ...held];
    },
    get elided() {
      return elidedLines > 0;
    },
  };
}
