/** Why a running command is being killed: its time ran out, or its caller aborted it. */
export type KillReason = "timeout" | "abort";

/**
 * The "timeout or cancel, first one wins" rule every executor (host, docker, kubernetes) applies:
 * a timeout kills gracefully once; an abort kills at once, also after a timeout already started a
 * graceful kill (a cancel must not wait out the grace). Both are recorded, as the result reports both.
 */
export interface KillLatch {
  /** Records `reason`; true when the executor must (re)act: the first kill, or an abort escalating a timeout. */
  trip(reason: KillReason): boolean;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Whether any kill was asked for. */
  readonly tripped: boolean;
}

export function killLatch(): KillLatch {
  let timedOut = false;
  let cancelled = false;
  return {
    trip(reason) {
      if (cancelled || (reason === "timeout" && timedOut)) return false;
      if (reason === "timeout") timedOut = true;
      else cancelled = true;
      return true;
    },
    get timedOut() {
      return timedOut;
    },
    get cancelled() {
      return cancelled;
    },
    get tripped() {
      return timedOut || cancelled;
    },
  };
}
