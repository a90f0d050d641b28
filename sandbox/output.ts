import { Readable } from "node:stream";
import type { OutputChunk } from "./driver.js";

export interface OutputWriter {
  /** Everything written, in order; ends when `end` is called, throws what `fail` got. */
  readonly output: AsyncIterable<OutputChunk>;
  write(stream: OutputChunk["stream"], data: string): void;
  end(): void;
  fail(error: Error): void;
}

/**
 * An object-mode Readable is the queue between a command's pipes and its reader: it buffers
 * until read, is async-iterable, and cleans up when the reader stops early. The command is
 * never paused for a slow reader, so `result` settles even if nobody reads `output`; readers
 * that keep the output should cap it (runner.maxOutputBytesPerCommand).
 */
export function createOutput(): OutputWriter {
  const readable = new Readable({ objectMode: true, read() {} });
  // A reader's iterator still throws the failure; without a reader, a failed command must
  // not become an uncaught 'error' event that takes the runner down (its `result` says why).
  readable.on("error", () => {});
  let open = true;
  return {
    output: readable,
    write(stream, data) {
      if (open && data.length > 0) readable.push({ stream, data } satisfies OutputChunk);
    },
    end() {
      if (open) readable.push(null);
      open = false;
    },
    fail(error) {
      if (open) readable.destroy(error);
      open = false;
    },
  };
}
