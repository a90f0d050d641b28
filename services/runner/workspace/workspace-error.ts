/**
 * A workspace that could not be made or used. `retryable` is false when the job itself is at
 * fault (a base ref that does not exist), true when the machine is (disk, a broken repository).
 */
export class WorkspaceError extends Error {
  override name = "WorkspaceError";
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
