/** Exit codes of the terminal client, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** The work (or the command's own request) failed; the reason is printed. */
  failed: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** The server could not be reached. */
  unreachable: 3,
  /** --timeout ran out before the work ended (the `timeout` command's code). */
  timedOut: 124,
  /** Interrupted by Ctrl-C while not at the chat prompt. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected way for a command to end: a message for the person and the exit code scripts see. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = "CliFailure";
  }
}

export function usageError(message: string): CliFailure {
  return new CliFailure(message, EXIT.usage);
}
