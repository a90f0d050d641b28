import { constants } from "node:os";
import type { Logger } from "../shared/log.js";
import { StopTimedOut, TerminateTree } from "./errors.js";
import type { Service } from "./service.js";

export interface RunUntilSignalOptions {
  logger: Logger;
  /** Signals that start a clean stop; the same signal again forces the exit. Default SIGINT and SIGTERM. */
  signals?: readonly NodeJS.Signals[];
  /**
   * Upper bound on the whole stop after the first signal (default 30 s); the tree's
   * own per-child stop timeouts should fit inside it.
   */
  stopTimeoutMs?: number;
  /** Ends the process; default process.exit. */
  exit?: (code: number) => void;
}

export const EXIT_CLEAN = 0;
export const EXIT_FAILED = 1;

/**
 * Runs `root` until SIGINT/SIGTERM, then aborts it and exits 0 once it stopped.
 * Exits 1 if the tree failed, a child did not stop, or the stop outlived
 * stopTimeoutMs; 128+signal when a second signal forces the exit (Ctrl-C twice).
 * `pushpals up` and `pushpals serve <service>` end with this. Resolves with the
 * exit code (only reached when `exit` does not end the process).
 */
export async function runUntilSignal(root: Service, options: RunUntilSignalOptions): Promise<number> {
  const { logger, signals = ["SIGINT", "SIGTERM"], stopTimeoutMs = 30_000 } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const controller = new AbortController();
  let finish: (code: number) => void = () => {};
  const cutShort = new Promise<number>((resolve) => (finish = resolve));
  let deadline: NodeJS.Timeout | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warn({ signal }, `received ${signal} again: exiting without waiting for "${root.name}" to stop`);
      finish(128 + (constants.signals[signal] ?? 0));
      return;
    }
    logger.info({ signal }, `received ${signal}: stopping "${root.name}" (send ${signal} again to exit at once)`);
    controller.abort();
    deadline = setTimeout(() => {
      logger.error({ stopTimeoutMs }, `"${root.name}" did not stop within ${stopTimeoutMs} ms; exiting anyway. Its log lines name the child that hung`);
      finish(EXIT_FAILED);
    }, stopTimeoutMs);
  };
  for (const signal of signals) process.on(signal, onSignal);

  try {
    logger.info({ root: root.name }, `running "${root.name}" until ${signals.join(" or ")}`);
    // Through a promise so even a serve() that throws synchronously ends as an exit code.
    const served = Promise.resolve()
      .then(() => root.serve(controller.signal))
      .then(
        () => {
          logger.info(`"${root.name}" ${controller.signal.aborted ? "stopped cleanly" : "ended by itself"}`);
          return EXIT_CLEAN;
        },
        (error: unknown) => {
          logFailure(logger, root.name, error);
          return EXIT_FAILED;
        },
      );
    const code = await Promise.race([served, cutShort]);
    exit(code);
    return code;
  } finally {
    clearTimeout(deadline);
    for (const signal of signals) process.off(signal, onSignal);
  }
}

function logFailure(logger: Logger, name: string, error: unknown): void {
  if (error instanceof TerminateTree && error.reported) {
    logger.debug({ reason: error.message }, `"${name}" ended: ${error.message}`);
    return;
  }
  if (error instanceof StopTimedOut) {
    logger.error({ err: error, unstopped: error.unstopped }, error.message);
    return;
  }
  // A TerminateTree's message is for people; its stack says nothing they can act on.
  logger.error(
    error instanceof TerminateTree ? { reason: error.message } : { err: error },
    `"${name}" failed: ${error instanceof Error ? error.message : String(error)}; ` + "the log lines above name the child that failed; fix it and start again",
  );
}
