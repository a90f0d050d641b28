import { asError } from "./errors.js";
import { reportsReadiness, type Service } from "./service.js";

export type RunOutcome = { readonly kind: "exited" } | { readonly kind: "failed"; readonly error: Error };

/**
 * One call of a child's serve(): its own abort controller, whether it became ready,
 * and how it ended. A fresh run per (re)start, so listeners a run left on its signal
 * die with it.
 */
export class ChildRun {
  private readonly controller = new AbortController();
  /** true once the child is ready; false if the run ended first. */
  readonly ready: Promise<boolean>;
  /** Never rejects: a throw (of anything) becomes a "failed" outcome. */
  readonly outcome: Promise<RunOutcome>;
  private ended = false;

  constructor(service: Service) {
    let markReady: (ready: boolean) => void = () => {};
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.outcome = serveOnce(service, this.controller.signal, () => markReady(true)).then(
      (): RunOutcome => ({ kind: "exited" }),
      (thrown: unknown): RunOutcome => ({ kind: "failed", error: asError(thrown) }),
    );
    void this.outcome.then(() => {
      this.ended = true;
      markReady(false);
    });
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  /** Aborts the run's signal and waits up to `timeoutMs` for it to end; false if it did not. */
  async stop(timeoutMs: number): Promise<{ stopped: true; outcome: RunOutcome } | { stopped: false }> {
    this.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      const outcome = await Promise.race([this.outcome, timedOut]);
      return outcome ? { stopped: true, outcome } : { stopped: false };
    } finally {
      clearTimeout(timer);
    }
  }
}

function serveOnce(service: Service, signal: AbortSignal, ready: () => void): Promise<void> {
  try {
    if (reportsReadiness(service)) return Promise.resolve(service.serve(signal, ready));
    ready();
    return Promise.resolve(service.serve(signal));
  } catch (thrown) {
    // A serve() that throws synchronously (not an async function) still counts as a failure.
    return Promise.reject(thrown);
  }
}
