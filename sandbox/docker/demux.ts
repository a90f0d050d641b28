import type { OutputChunk } from "../driver.js";

export interface Frame {
  stream: OutputChunk["stream"];
  data: Buffer;
}

const HEADER_BYTES = 8;

/**
 * Splits Docker's multiplexed stream (non-TTY attach/exec): each frame is an 8-byte header,
 * [stream type, 0, 0, 0, big-endian uint32 length], then that many bytes. Type 1 is stdout,
 * 2 stderr (3, the engine's own errors, is reported as stderr). Frames may arrive split
 * across chunks or several in one.
 */
export async function* demultiplex(source: AsyncIterable<Buffer | string>): AsyncGenerator<Frame> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? toBuffer(chunk) : Buffer.concat([pending, toBuffer(chunk)]);
    while (pending.length >= HEADER_BYTES) {
      const length = pending.readUInt32BE(4);
      if (pending.length < HEADER_BYTES + length) break;
      const type = pending[0];
      const data = pending.subarray(HEADER_BYTES, HEADER_BYTES + length);
      pending = pending.subarray(HEADER_BYTES + length);
      if (length > 0) yield { stream: type === 1 || type === 0 ? "stdout" : "stderr", data };
    }
  }
  if (pending.length > 0) throw new Error(`the engine's output stream ended inside a frame (${pending.length} bytes left over)`);
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk;
}
