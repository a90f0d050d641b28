/**
 * Errors with a meaning to a supervisor. Anything else a service throws is a plain
 * failure that its restart policy answers.
 */

/** The service is finished for good: its supervisor drops it instead of restarting it, whatever its policy. */
export class DoNotRestart extends Error {
  override readonly name = "DoNotRestart";
}

/**
 * The failure is fatal to the whole tree: every supervisor up to the root stops its
 * children (reverse start order) and rethrows it, so the program exits. Its message is
 * for people: the tree logs it without the stack, once at the root. `reported` says the
 * thrower has already told the person (a start-up failure printed as one line with its
 * hint); the root then logs it at debug level only, so it is not said twice.
 */
export class TerminateTree extends Error {
  override readonly name = "TerminateTree";
  readonly reported: boolean;

  constructor(message: string, options: ErrorOptions & { reported?: boolean } = {}) {
    super(message, options);
    this.reported = options.reported ?? false;
  }
}

/** A supervisor restarted its children more than `maxRestarts` times within `withinMs`, so it gave up and escalates. */
export class IntensityExceeded extends Error {
  override readonly name = "IntensityExceeded";

  constructor(
    readonly supervisor: string,
    readonly maxRestarts: number,
    readonly withinMs: number,
    readonly lastChild: string,
    lastFailure: Error | undefined,
  ) {
    const why = lastFailure ? `: ${lastFailure.message}` : " (it exited)";
    super(
      `supervisor "${supervisor}" gave up: more than ${maxRestarts} restarts within ${withinMs} ms; ` +
        `the last was "${lastChild}"${why}. Fix that child (see its log lines) or raise the supervisor's intensity.`,
      { cause: lastFailure },
    );
  }
}

/** Shutdown finished, but these children (paths like "root/services/sessions") ignored their signal past their stop timeout. */
export class StopTimedOut extends Error {
  override readonly name = "StopTimedOut";

  constructor(
    readonly supervisor: string,
    readonly unstopped: readonly string[],
  ) {
    super(
      `supervisor "${supervisor}" stopped, but ${unstopped.map((path) => `"${path}"`).join(", ")} did not stop in time ` +
        "and may still be running; make them honour their abort signal or give them a longer stopTimeoutMs",
    );
  }
}

/** Services may throw anything; a supervisor reasons about Errors only (suture turns a panic into a failure likewise). */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  let shown: string;
  try {
    shown = typeof thrown === "string" ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    shown = String(thrown);
  }
  return new Error(`service threw a non-Error value: ${shown}`, { cause: thrown });
}
