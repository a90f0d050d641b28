/**
 * A job that ended without a result. `final`: the job itself is at fault (its script failed,
 * it wrote outside its scope, a budget ran out) and a retry would fail the same way. `retry`: the
 * machine is (a sandbox that would not start, a broken repository), so another attempt may pass.
 */
export class JobFailure extends Error {
  override name = "JobFailure";
  constructor(
    message: string,
    readonly mode: "final" | "retry",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
