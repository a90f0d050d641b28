import { failedPrecondition, invalidArgument } from "../shared/errors.js";
import type { Logger } from "../shared/log.js";
import { StopTimedOut, TerminateTree } from "./errors.js";
import { TreeEventLog } from "./events.js";
import { parseChildOptions, parseSupervisorSettings, type ChildOptions, type SupervisorOptions, type SupervisorSettings } from "./options.js";
import type { ReadinessReporting, Service } from "./service.js";
import { SupervisorRun, type ChildSpec } from "./supervisor-run.js";

/**
 * A one-for-one supervisor (suture v4, OTP): starts its children in order, restarts
 * a child that ends according to its policy with exponential backoff, and when
 * restarts exceed its intensity stops the rest in reverse order and rejects with
 * IntensityExceeded, so its own supervisor handles it. It is itself a Service, so
 * trees nest; its events (and its nested supervisors') are in `events`.
 *
 * A class rather than a factory: children can be added before and while it runs,
 * and a parent recognises a nested supervisor to merge its events.
 */
export class Supervisor implements ReadinessReporting {
  readonly name: string;
  readonly reportsReadiness = true;
  readonly events = new TreeEventLog();
  private readonly settings: SupervisorSettings;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly children: ChildSpec[] = [];
  private running: SupervisorRun | undefined;

  constructor(options: SupervisorOptions) {
    this.settings = parseSupervisorSettings(options);
    this.name = this.settings.name;
    this.logger = options.logger.child({ supervisor: this.name });
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Adds a child; it starts with the supervisor, or at once if the supervisor is running. */
  add(service: Service, options: ChildOptions): void {
    const { restart, stopTimeoutMs } = parseChildOptions(this.name, service.name, options);
    if (this.children.some((child) => child.service.name === service.name)) {
      throw invalidArgument(`supervisor "${this.name}" child name`, `"${service.name}" is already a child; give each child a unique name (it identifies it in events and logs)`);
    }
    const spec: ChildSpec = { service, restart, stopTimeoutMs: stopTimeoutMs ?? this.settings.stopTimeoutMs };
    this.children.push(spec);
    if (service instanceof Supervisor) service.events.forwardTo(this.events);
    if (this.running && !this.running.ending) void this.running.start(spec);
  }

  /**
   * Runs the children until `signal` aborts (resolves once all stopped) or the tree
   * fails (rejects with the IntensityExceeded or TerminateTree to escalate). Rejects
   * with StopTimedOut if a child ignored its signal past its stop timeout.
   */
  async serve(signal: AbortSignal, ready?: () => void): Promise<void> {
    if (this.running) {
      throw failedPrecondition(`supervisor "${this.name}" is already serving; give each place in the tree its own Supervisor`);
    }
    const run = new SupervisorRun({ settings: this.settings, events: this.events, logger: this.logger, clock: this.clock }, signal);
    this.running = run;
    try {
      for (const child of [...this.children]) {
        if (run.ending) break;
        await Promise.race([run.start(child), run.finished]);
      }
      if (!run.ending) {
        this.logger.info({ children: this.children.length }, `supervisor "${this.name}" started its children`);
        ready?.();
      }
      const failure = await run.finished;
      if (failure instanceof TerminateTree) this.logger.debug({ reason: failure.message }, `supervisor "${this.name}" is stopping its children: the tree ends`);
      else if (failure) this.logger.error({ err: failure }, `supervisor "${this.name}" is stopping its children and escalating`);
      const unstopped = await run.stop();
      if (failure) throw failure;
      if (unstopped.length > 0) throw new StopTimedOut(this.name, unstopped);
      this.logger.info(`supervisor "${this.name}" stopped`);
    } finally {
      run.dispose();
      this.running = undefined;
    }
  }
}
