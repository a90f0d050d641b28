import { EventEmitter } from "node:events";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "../shared/log.js";

export type StreamName = "stdout" | "stderr";

const TAIL_LINES = 8;

/**
 * A child process's stdout/stderr, line by line: each line goes to the logger and
 * is emitted as ("line", text, stream) for readiness checks; the last stderr lines
 * are kept to explain a crash.
 */
export class OutputLines extends EventEmitter<{ line: [text: string, stream: StreamName] }> {
  private readonly stderrTail: string[] = [];
  /** Resolves once both streams are closed. */
  readonly closed: Promise<void>;

  constructor(
    streams: Record<StreamName, Readable>,
    private readonly logger: Logger,
  ) {
    super();
    this.setMaxListeners(0);
    this.closed = Promise.all([this.pump(streams.stdout, "stdout"), this.pump(streams.stderr, "stderr")]).then(() => {});
  }

  tail(): readonly string[] {
    return [...this.stderrTail];
  }

  private async pump(stream: Readable, name: StreamName): Promise<void> {
    try {
      for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
        if (name === "stderr") {
          this.stderrTail.push(text);
          if (this.stderrTail.length > TAIL_LINES) this.stderrTail.shift();
        }
        this.emit("line", text, name);
        this.forward(text, name);
      }
    } catch (error) {
      this.logger.warn({ err: error, stream: name }, `lost the child's ${name}; its remaining output is not logged`);
    }
  }

  /**
   * A JSON line is a pino record the child wrote itself: it goes to our log destination
   * unchanged (if our level lets it through), so one stream holds every process's
   * records. Anything else is wrapped in a record naming the stream.
   */
  private forward(text: string, stream: StreamName): void {
    const record = parseRecord(text);
    const destination = record && destinationOf(this.logger);
    if (record && destination) {
      const label = typeof record.level === "number" ? this.logger.levels.labels[record.level] : undefined;
      if (this.logger.isLevelEnabled(label ?? "info")) destination.write(`${text}\n`);
      return;
    }
    if (stream === "stderr") this.logger.warn({ stream }, text);
    else this.logger.info({ stream }, text);
  }
}

function parseRecord(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

interface Writable {
  write(chunk: string): unknown;
}

// pino exposes its destination under a public symbol; writing a finished record there
// keeps it byte-for-byte instead of nesting it inside another record.
function destinationOf(logger: Logger): Writable | undefined {
  const stream: unknown = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  return typeof stream === "object" && stream !== null && typeof (stream as Writable).write === "function" ? (stream as Writable) : undefined;
}
