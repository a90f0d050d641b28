import { EventEmitter, on } from "node:events";

/**
 * started: the child is up (ready, for services that report readiness).
 * exited: it ended by itself without failing (or threw DoNotRestart).
 * failed: it threw or rejected; `error` says why.
 * restarting: it will be started again after `delayMs`.
 * stopped: it ended after its supervisor asked it to stop.
 * stop_timeout: it ignored its signal past its stop timeout and may still be running.
 */
export type TreeEventKind = "started" | "exited" | "failed" | "restarting" | "stopped" | "stop_timeout";

export interface TreeEvent {
  /** Wall-clock time (ms since the epoch). */
  readonly at: number;
  readonly supervisor: string;
  readonly child: string;
  readonly kind: TreeEventKind;
  readonly error?: string;
  readonly delayMs?: number;
}

const HISTORY_LIMIT = 500;

/**
 * The lifecycle events of a supervisor and, once nested, of every supervisor below
 * it. `recent()` is a snapshot for `pushpals status`; `follow()` is a live stream.
 */
export class TreeEventLog {
  private readonly emitter = new EventEmitter();
  private readonly history: TreeEvent[] = [];

  constructor() {
    // Each follower is one listener; a status page or test may hold several.
    this.emitter.setMaxListeners(0);
  }

  emit(event: TreeEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    this.emitter.emit("event", event);
  }

  /** The last events, oldest first. */
  recent(): readonly TreeEvent[] {
    return [...this.history];
  }

  /**
   * Events from this call on, until `signal` aborts (then the iteration simply ends).
   * Subscribes before returning, so nothing emitted after the call is missed even if
   * the first next() comes later.
   */
  follow(signal: AbortSignal): AsyncIterableIterator<TreeEvent> {
    return eventsUntilAborted(on(this.emitter, "event", { signal }), signal);
  }

  /** Also emit every event of this log into `parent` (a nested supervisor's events show in its parent's log). */
  forwardTo(parent: TreeEventLog): void {
    this.emitter.on("event", (event: TreeEvent) => parent.emit(event));
  }
}

async function* eventsUntilAborted(live: AsyncIterableIterator<unknown[]>, signal: AbortSignal): AsyncGenerator<TreeEvent> {
  try {
    for await (const [event] of live) yield event as TreeEvent;
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
