import { Code, ConnectError } from "@connectrpc/connect";
import { sleep } from "../../../shared/time.js";

/** Answers that say "the control plane is not reachable right now", not "this call is wrong". */
const TRANSIENT = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Aborted, Code.ResourceExhausted]);

export function isTransient(error: unknown): boolean {
  return error instanceof ConnectError && TRANSIENT.has(error.code);
}

/**
 * Retries an idempotent control-plane call a few times with backoff while the answer
 * is transient; anything else (and the last transient error) is thrown to the caller.
 */
export async function withRetries<T>(call: () => Promise<T>, options: { attempts?: number; baseMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  const baseMs = options.baseMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isTransient(error) || options.signal?.aborted) throw error;
      await sleep(baseMs * 2 ** (attempt - 1), options.signal);
    }
  }
}
