import type { FrameWriter } from "./frame-writer.js";

export interface FramesBeneathConnectOptions<T, M> {
  writer: FrameWriter;
  /** The item as a ready-made envelope (flags, length, message: what Connect would write), or undefined to let Connect send it. */
  frameOf: (item: T) => Uint8Array | undefined;
  /** The item as a message, for Connect to send. */
  messageOf: (item: T) => M;
}

/**
 * A server stream that hands Connect only what Connect must send itself: the first
 * message (with it Connect writes the response headers) and any item without a frame.
 * Every other item's frame is written straight to the response, beneath Connect's
 * per-message chain of async generators, which at a hundred streams of one busy session
 * was most of the control plane's thread (issue 17). Frames ready in the same turn of
 * the event loop go out as one write. Meanwhile Connect waits on this stream's next
 * message, so the bytes on the wire are in the order, and are the bytes, Connect's own
 * writing would have produced; when the items end or fail, what is batched is written
 * first and Connect then ends the call (trailers, errors) as always.
 *
 * Connect asks for the next message only after writing the last one, which is what
 * makes writing beneath it safe. When the transport's buffer is full the stream waits
 * for it to drain, so a slow reader falls behind at its source (the follower's bounded
 * queue, which re-reads the store when it overflows) instead of in memory here.
 */
export function framesBeneathConnect<T, M>(items: AsyncIterable<T>, options: FramesBeneathConnectOptions<T, M>): AsyncIterable<M> {
  const { writer, frameOf, messageOf } = options;
  return {
    [Symbol.asyncIterator](): AsyncIterator<M> {
      const source = items[Symbol.asyncIterator]();
      let headersSent = false;
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      let flushLater: NodeJS.Immediate | undefined;
      let full: Promise<void> | undefined;

      /**
       * Writes the batch. A scheduled flush waits while the buffer is full (the batch is
       * written once it drains); a forced one, before Connect writes again, must not.
       */
      const flush = (force = false) => {
        if (flushLater !== undefined) clearImmediate(flushLater);
        flushLater = undefined;
        if (batch.length === 0 || (full && !force)) return;
        const bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        if (!writer.write(bytes)) {
          full ??= writer.drained().then(() => {
            full = undefined;
            flush();
          });
        }
      };
      const discard = () => {
        if (flushLater !== undefined) clearImmediate(flushLater);
        flushLater = undefined;
        batch = [];
      };
      const message = (result: IteratorResult<T>): IteratorResult<M> => (result.done ? { done: true, value: undefined } : { done: false, value: messageOf(result.value) });

      /** Writes frames until an item needs Connect, or the items end. */
      async function beneath(): Promise<IteratorResult<M>> {
        try {
          for (;;) {
            if (full) await full;
            const result = await source.next();
            if (result.done) {
              flush(true);
              return { done: true, value: undefined };
            }
            const frame = frameOf(result.value);
            if (frame === undefined) {
              flush(true);
              return { done: false, value: messageOf(result.value) };
            }
            batch.push(frame);
            batchBytes += frame.length;
            flushLater ??= setImmediate(flush, false);
          }
        } catch (error) {
          flush(true);
          throw error;
        }
      }

      return {
        next() {
          if (headersSent) return beneath();
          headersSent = true;
          return source.next().then(message);
        },
        async return(): Promise<IteratorResult<M>> {
          discard();
          await source.return?.();
          return { done: true, value: undefined };
        },
        async throw(error: unknown): Promise<IteratorResult<M>> {
          discard();
          if (!source.throw) throw error;
          return source.throw(error).then(message);
        },
      };
    },
  };
}
