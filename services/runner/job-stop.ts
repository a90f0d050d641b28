/** Why a job stopped before it finished by itself. */
export type StopReason =
  /** Someone cancelled the job (QueueService.Cancel). */
  | { kind: "cancelled"; detail: string }
  /** Another worker may have the job now: stop, commit nothing, report nothing. */
  | { kind: "lease_lost"; detail: string }
  /** The runner itself is stopping. */
  | { kind: "shutdown"; detail: string }
  /** A budget (wall time, log size) ran out. */
  | { kind: "budget"; detail: string };

/** Thrown (and used as the abort reason) once a job was stopped. */
export class JobStopped extends Error {
  override name = "JobStopped";
  constructor(readonly reason: StopReason) {
    super(`job stopped (${reason.kind}): ${reason.detail}`);
  }
}

/**
 * One job's stop switch: the first reason wins (a cancel that arrives after the lease was lost
 * changes nothing), and its signal reaches every command, git call and RPC of the job.
 */
export interface JobStop {
  readonly signal: AbortSignal;
  readonly reason: StopReason | undefined;
  stop(reason: StopReason): void;
  throwIfStopped(): void;
}

export function jobStop(): JobStop {
  const controller = new AbortController();
  let reason: StopReason | undefined;
  return {
    signal: controller.signal,
    get reason() {
      return reason;
    },
    stop(next) {
      if (reason) return;
      reason = next;
      controller.abort(new JobStopped(next));
    },
    throwIfStopped() {
      if (reason) throw new JobStopped(reason);
    },
  };
}
