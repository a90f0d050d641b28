import { failedPrecondition } from "../shared/errors.js";
import type { Execution } from "./driver.js";

/**
 * What every sandbox keeps about its running commands: stop() aborts them all and waits
 * until they are gone, and no command starts after it.
 */
export interface SandboxLifecycle {
  /** Throws when the sandbox was stopped; returns the signal a new command runs under. */
  admit(userSignal: AbortSignal | undefined): AbortSignal;
  track(execution: Execution): Execution;
  /**
   * Aborts every running command, runs `teardown` (the first time only) and waits for each
   * command to end; true the first time.
   */
  stop(teardown?: () => Promise<void>): Promise<boolean>;
  readonly stopped: boolean;
}

export function sandboxLifecycle(description: string): SandboxLifecycle {
  const stopping = new AbortController();
  const running = new Set<Promise<unknown>>();
  return {
    admit(userSignal) {
      if (stopping.signal.aborted) throw failedPrecondition(`${description} was stopped; start a new sandbox to run more commands`);
      return userSignal ? AbortSignal.any([userSignal, stopping.signal]) : stopping.signal;
    },
    track(execution) {
      const settled = execution.result.then(
        () => undefined,
        () => undefined,
      );
      running.add(settled);
      void settled.then(() => running.delete(settled));
      return execution;
    },
    async stop(teardown) {
      if (stopping.signal.aborted) {
        await Promise.all(running);
        return false;
      }
      stopping.abort();
      await teardown?.();
      await Promise.all(running);
      return true;
    },
    get stopped() {
      return stopping.signal.aborted;
    },
  };
}
