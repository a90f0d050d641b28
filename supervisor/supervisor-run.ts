import type { Logger } from "../shared/log.js";
import { sleep } from "../shared/time.js";
import { backoffDelay } from "./backoff.js";
import { ChildRun, type RunOutcome } from "./child-run.js";
import { asError, DoNotRestart, IntensityExceeded, StopTimedOut, TerminateTree } from "./errors.js";
import type { TreeEventKind, TreeEventLog } from "./events.js";
import type { RestartPolicy, SupervisorSettings } from "./options.js";
import { decideRestart } from "./restart-decision.js";
import type { Service } from "./service.js";
import { SlidingWindow } from "./sliding-window.js";

export interface ChildSpec {
  readonly service: Service;
  readonly restart: RestartPolicy;
  readonly stopTimeoutMs: number;
}

export interface SupervisorContext {
  readonly settings: SupervisorSettings;
  readonly events: TreeEventLog;
  readonly logger: Logger;
  readonly clock: () => number;
}

interface Slot {
  readonly spec: ChildSpec;
  run: ChildRun;
  /** Aborted at shutdown; cuts a pending backoff short. */
  readonly halt: AbortController;
  /** This child's restarts inside the intensity window: the backoff exponent. */
  readonly recentRestarts: SlidingWindow;
  /** Ended for good, as its policy (or DoNotRestart) says. */
  finished: boolean;
}

/**
 * One serve() of a supervisor: its children's current runs, the restart intensity
 * and the escalation. A fresh one per serve(), so a supervisor restarted by its
 * parent starts with a clean failure history, as in OTP.
 */
export class SupervisorRun {
  private readonly slots: Slot[] = [];
  private readonly intensity: SlidingWindow;
  private stopping = false;
  private failure: Error | undefined;
  private escalate: (error: Error) => void = () => {};
  /** Resolves with the error to escalate to the parent, or undefined once the parent's signal aborts. */
  readonly finished: Promise<Error | undefined>;
  private readonly onAbort: () => void;

  constructor(
    private readonly context: SupervisorContext,
    private readonly signal: AbortSignal,
  ) {
    this.intensity = new SlidingWindow(context.settings.intensity.withinMs);
    let finish: (failure: Error | undefined) => void = () => {};
    this.finished = new Promise((resolve) => (finish = resolve));
    this.escalate = (error) => {
      if (this.failure || this.stopping) return;
      this.failure = error;
      finish(error);
    };
    this.onAbort = () => finish(undefined);
    if (signal.aborted) finish(undefined);
    else signal.addEventListener("abort", this.onAbort, { once: true });
  }

  /** True once the supervisor is on its way down (parent's signal or escalation). */
  get ending(): boolean {
    return this.stopping || this.failure !== undefined || this.signal.aborted;
  }

  /** Starts a child and resolves once it is ready or its first run ended, so siblings start in order. */
  async start(spec: ChildSpec): Promise<void> {
    const slot: Slot = {
      spec,
      run: this.launch(spec),
      halt: new AbortController(),
      recentRestarts: new SlidingWindow(this.context.settings.intensity.withinMs),
      finished: false,
    };
    this.slots.push(slot);
    this.keep(slot).catch((bug: unknown) => this.escalate(asError(bug)));
    await slot.run.ready;
  }

  /**
   * Stops the children in reverse start order, each within its stop timeout, and
   * returns the paths of those that did not stop (including a nested supervisor's).
   */
  async stop(): Promise<string[]> {
    this.stopping = true;
    const unstopped: string[] = [];
    for (const slot of [...this.slots].reverse()) {
      slot.halt.abort();
      if (slot.finished || slot.run.hasEnded) continue;
      const result = await slot.run.stop(slot.spec.stopTimeoutMs);
      const child = slot.spec.service.name;
      if (!result.stopped) {
        unstopped.push(`${this.name}/${child}`);
        this.record("stop_timeout", child, {
          message: `did not stop within ${slot.spec.stopTimeoutMs} ms and may still be running; make it honour its abort signal`,
        });
        continue;
      }
      const error = result.outcome.kind === "failed" ? result.outcome.error : undefined;
      if (error instanceof StopTimedOut) unstopped.push(...error.unstopped.map((path) => `${this.name}/${path}`));
      this.record("stopped", child, { error });
    }
    return unstopped;
  }

  dispose(): void {
    this.signal.removeEventListener("abort", this.onAbort);
  }

  private get name(): string {
    return this.context.settings.name;
  }

  private launch(spec: ChildSpec): ChildRun {
    const run = new ChildRun(spec.service);
    void run.ready.then((ready) => {
      if (ready && !this.stopping) this.record("started", spec.service.name);
    });
    return run;
  }

  /** The one-for-one loop of a child: wait for its run to end, then restart it, drop it or escalate. */
  private async keep(slot: Slot): Promise<void> {
    const { settings, clock } = this.context;
    const child = slot.spec.service.name;
    for (;;) {
      const outcome = await slot.run.outcome;
      if (this.stopping) return;
      const error = outcome.kind === "failed" ? outcome.error : undefined;
      this.record(error && !isDoNotRestart(outcome) ? "failed" : "exited", child, { error });

      // Going down already (escalating, or the parent's signal fired a moment ago): no restarts.
      if (this.ending) return;
      const decision = decideRestart(slot.spec.restart, outcome);
      if (decision === "terminate-tree") return this.escalate(error ?? new TerminateTree(`${child} ended the tree`));
      if (decision === "done") {
        slot.finished = true;
        return;
      }
      const now = clock();
      const { maxRestarts, withinMs } = settings.intensity;
      if (this.intensity.record(now) > maxRestarts) {
        return this.escalate(new IntensityExceeded(this.name, maxRestarts, withinMs, child, error));
      }
      const delayMs = backoffDelay(slot.recentRestarts.record(now) - 1, settings.backoff);
      this.record("restarting", child, { delayMs });
      await sleep(delayMs, slot.halt.signal);
      if (this.ending) return;
      slot.run = this.launch(slot.spec);
    }
  }

  private record(kind: TreeEventKind, child: string, extra: { error?: Error; delayMs?: number; message?: string } = {}): void {
    const { error, delayMs, message } = extra;
    const text = error?.message ?? message;
    this.context.events.emit({
      at: Date.now(),
      supervisor: this.name,
      child,
      kind,
      ...(text !== undefined && { error: text }),
      ...(delayMs !== undefined && { delayMs }),
    });
    const fields = { child, event: kind, ...(error && { err: error }), ...(delayMs !== undefined && { delayMs }) };
    switch (kind) {
      case "failed":
        if (error instanceof TerminateTree) this.context.logger.debug({ child, event: kind, reason: text }, `child "${child}" ended the tree: ${text}`);
        else this.context.logger.warn(fields, `child "${child}" failed: ${text}; its restart policy decides what happens next`);
        break;
      case "stop_timeout":
        this.context.logger.error(fields, `child "${child}" ${text}`);
        break;
      case "restarting":
        this.context.logger.info(fields, `restarting child "${child}" in ${delayMs} ms`);
        break;
      default:
        this.context.logger.info(fields, `child "${child}" ${kind}${text ? `: ${text}` : ""}`);
    }
  }
}

function isDoNotRestart(outcome: RunOutcome): boolean {
  return outcome.kind === "failed" && outcome.error instanceof DoNotRestart;
}
