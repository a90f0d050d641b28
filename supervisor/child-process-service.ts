import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { deadline } from "../shared/deadline.js";
import type { Logger } from "../shared/log.js";
import { sleep } from "../shared/time.js";
import { OutputLines } from "./output-lines.js";
import { signalGroup } from "./process-group.js";
import { waitUntilReady, type Readiness } from "./readiness.js";
import type { ReadinessReporting } from "./service.js";

export interface ChildProcessOptions {
  /** Identifies the child in its supervisor's events and in log lines. */
  name: string;
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** Default: this process's environment. */
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** After SIGTERM, how long the process group gets before SIGKILL (default 5 s); keep it below the supervisor's stop timeout. */
  killAfterMs?: number;
  /** When the child counts as started; without it, as soon as it is spawned. */
  readiness?: Readiness;
  /** How long it may take to become ready before it is stopped and counts as failed (default 30 s). */
  readyTimeoutMs?: number;
}

type ExitStatus = [code: number | null, signal: NodeJS.Signals | null];

// How long to wait for the pipes to drain after the group is gone; something that
// escaped the group (setsid) could hold them open for ever.
const DRAIN_MS = 1000;

/** The process ended by itself with a non-zero code or by a signal. */
export class ChildProcessFailed extends Error {
  override readonly name = "ChildProcessFailed";

  constructor(
    readonly child: string,
    readonly pid: number,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    stderrTail: readonly string[],
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = stderrTail.length > 0 ? `; its last stderr lines: ${stderrTail.join(" | ")}` : "";
    super(`child process "${child}" (pid ${pid}) ${how}${tail}. Its log lines (child "${child}") show why`);
  }
}

/**
 * Runs a command as a service (`node bin/pushpals.js serve sessions`): one process
 * per run, in its own process group, its output in our logs. Ending with a non-zero
 * code or by a signal is a failure, so the supervisor restarts it. On abort the
 * group gets SIGTERM, then SIGKILL after killAfterMs. Its stdin stays open: a child
 * may take EOF there as "my parent is gone" and exit.
 */
export class ChildProcessService implements ReadinessReporting {
  readonly reportsReadiness = true;
  readonly name: string;
  private readonly logger: Logger;
  private current: ChildProcess | undefined;

  constructor(private readonly options: ChildProcessOptions) {
    this.name = options.name;
    this.logger = options.logger.child({ child: options.name });
  }

  /** The running process's pid (also its process group id), if one is running. */
  get pid(): number | undefined {
    return this.current?.pid;
  }

  async serve(signal: AbortSignal, ready?: () => void): Promise<void> {
    if (signal.aborted) return;
    const { command, args = [], cwd, env = process.env, killAfterMs = 5000 } = this.options;
    const commandLine = [command, ...args].join(" ");
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    const exited = once(child, "exit") as Promise<ExitStatus>;
    exited.catch(() => {}); // a spawn error rejects it too; that is handled just below
    try {
      await once(child, "spawn");
    } catch (error) {
      throw new Error(`could not start child process "${this.name}" (${commandLine}): ${(error as Error).message}; ` + "check the command, its working directory and PATH", {
        cause: error,
      });
    }
    const pid = child.pid as number;
    this.current = child;
    const output = new OutputLines({ stdout: child.stdout!, stderr: child.stderr! }, this.logger);
    this.logger.info({ pid, command: commandLine }, `started child process "${this.name}"`);

    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      this.signalGroup(pid, "SIGTERM");
      killTimer ??= setTimeout(() => {
        this.logger.warn({ pid, killAfterMs }, `"${this.name}" ignored SIGTERM for ${killAfterMs} ms; sending SIGKILL`);
        this.signalGroup(pid, "SIGKILL");
      }, killAfterMs);
    };
    signal.addEventListener("abort", terminate, { once: true });
    if (signal.aborted) terminate(); // aborted while spawning: the listener above will never fire
    try {
      const notReady = await this.awaitReadiness(output, exited, signal, terminate, ready);
      const [code, exitSignal] = await exited;
      this.signalGroup(pid, "SIGKILL"); // whatever it started and left behind
      const drained = new AbortController();
      await Promise.race([output.closed, sleep(DRAIN_MS, drained.signal)]);
      drained.abort();
      if (notReady) throw notReady;
      if (signal.aborted) {
        this.logger.info({ pid, code, signal: exitSignal }, `child process "${this.name}" stopped`);
        return;
      }
      if (code === 0) {
        this.logger.info({ pid }, `child process "${this.name}" exited with code 0`);
        return;
      }
      throw new ChildProcessFailed(this.name, pid, code, exitSignal, output.tail());
    } finally {
      clearTimeout(killTimer);
      signal.removeEventListener("abort", terminate);
      child.stdin?.destroy();
      this.current = undefined;
    }
  }

  // Runs inside abort listeners and timers, where a throw would crash the whole process.
  private signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      signalGroup(pid, signal);
    } catch (error) {
      this.logger.error({ err: error, pid }, `could not send ${signal} to the process group of "${this.name}"; stop it by hand with \`kill -KILL -${pid}\``);
    }
  }

  /** Calls `ready` once the readiness check passes; returns the failure if it timed out (the group is then stopping). */
  private async awaitReadiness(
    output: OutputLines,
    exited: Promise<ExitStatus>,
    signal: AbortSignal,
    terminate: () => void,
    ready: (() => void) | undefined,
  ): Promise<Error | undefined> {
    const { readiness, readyTimeoutMs = 30_000 } = this.options;
    if (!readiness) {
      ready?.();
      return undefined;
    }
    const gone = new AbortController();
    void exited.then(
      () => gone.abort(),
      () => gone.abort(),
    );
    const timeout = deadline(readyTimeoutMs, gone.signal, signal);
    const isReady = await waitUntilReady(readiness, output, timeout.signal);
    timeout.clear();
    if (isReady) {
      this.logger.info({ pid: this.pid }, `child process "${this.name}" is ready`);
      ready?.();
      return undefined;
    }
    if (!timeout.timedOut() || gone.signal.aborted || signal.aborted) return undefined;
    terminate();
    const awaited = "line" in readiness ? `a line matching ${readiness.line}` : `port ${readiness.port}`;
    return new Error(
      `child process "${this.name}" was not ready within ${readyTimeoutMs} ms (waited for ${awaited}) and was stopped; ` +
        "its log lines show where it hangs, or raise readyTimeoutMs",
    );
  }
}
