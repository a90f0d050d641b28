/*
 * Interceptors and handlers that wrap a server stream used to do it with an async
 * generator (`yield* messages` inside try/finally). Each such layer costs every
 * message a generator resumption and several promise hops, per stream — with a
 * hundred followers of one busy session that was a large share of the control
 * plane's thread (issue 17). These wrappers forward next() with one `.then`.
 */

export interface StreamHooks {
  /** Runs once when the stream ends however it ends: done, failed, or returned by its reader. */
  onEnd?: () => void;
  /** Runs on the source's error; what it returns is thrown to the reader instead. */
  onError?: (error: unknown) => unknown;
}

/** `messages` as they are, with `hooks` run at the end and on an error. */
export function observeStream<T>(messages: AsyncIterable<T>, hooks: StreamHooks): AsyncIterable<T> {
  return mapStream(messages, (message) => message, hooks);
}

/** Each message of `messages` passed through `map` (synchronous), with optional end and error hooks. */
export function mapStream<T, U>(messages: AsyncIterable<T>, map: (message: T) => U, hooks: StreamHooks = {}): AsyncIterable<U> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<U> {
      const source = messages[Symbol.asyncIterator]();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        hooks.onEnd?.();
      };
      const fail = (error: unknown): never => {
        const thrown = hooks.onError ? hooks.onError(error) : error;
        end();
        throw thrown;
      };
      const step = (result: IteratorResult<T>): IteratorResult<U> => {
        if (result.done) {
          end();
          return { done: true, value: undefined };
        }
        return { done: false, value: map(result.value) };
      };
      return {
        next: () => source.next().then(step, fail),
        async return(): Promise<IteratorResult<U>> {
          try {
            await source.return?.();
          } catch (error) {
            fail(error);
          } finally {
            end();
          }
          return { done: true, value: undefined };
        },
        async throw(error: unknown): Promise<IteratorResult<U>> {
          if (!source.throw) {
            end();
            throw error;
          }
          return source.throw(error).then(step, fail);
        },
      };
    },
  };
}
