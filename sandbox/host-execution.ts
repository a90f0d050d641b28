import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import type { Logger } from "../shared/log.js";
import { unavailable } from "../shared/errors.js";
import type { ExecResult, Execution } from "./driver.js";
import { KILL_GRACE_MS, KILLED_EXIT_CODE, exitCodeOf, signalGroup } from "./kill.js";
import { createOutput } from "./output.js";
import { killLatch, type KillReason } from "./kill-latch.js";

export interface HostCommand {
  file: string;
  args: string[];
  cwd: string;
  /** The child's whole environment. */
  env: Record<string, string>;
  stdin: string | undefined;
  /** Extra pipes after stdio (fd 3, 4, ...) that `tree.spawned` may read. */
  extraPipes?: number;
}

/** Where the command's process tree lives, so it can be killed as a whole. */
export interface ProcessTree {
  /** Called once the child exists (before any output). */
  spawned?(child: ChildProcess): void;
  /** The process groups that hold the whole tree right now. */
  groups(child: ChildProcess): number[];
  /**
   * The spawned process exited: leftovers of the tree must die with it. `result` settles only
   * once this has settled, so a caller never sees a command end while its processes live on.
   */
  exited(child: ChildProcess): void | Promise<void>;
  /** The tree is gone and its pipes are closed. */
  closed?(child: ChildProcess): void;
}

/** If background leftovers escaped the tree and still hold the pipes, stop waiting for them after this. */
const PIPE_DRAIN_MS = 2000;

/**
 * Runs a host process as the leader of its own process group (detached), streams its output,
 * and kills its whole tree on timeout (SIGTERM, then SIGKILL after a grace) or abort (SIGKILL).
 */
export function runOnHost(command: HostCommand, run: { timeoutMs?: number; signal?: AbortSignal }, tree: ProcessTree, logger: Logger): Execution {
  const startedAt = performance.now();
  const writer = createOutput();
  if (run.signal?.aborted) {
    writer.end();
    return { output: writer.output, result: Promise.resolve(neverStarted()) };
  }
  const extra = Array.from({ length: command.extraPipes ?? 0 }, () => "pipe" as const);
  const child = spawn(command.file, command.args, {
    cwd: command.cwd,
    env: command.env,
    detached: true,
    stdio: [command.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe", ...extra],
  });
  const result = new Promise<ExecResult>((resolve, reject) => {
    const latch = killLatch();
    let exited = false;
    let settled = false;
    let cleanup: Promise<void> = Promise.resolve();
    const timers: NodeJS.Timeout[] = [];

    const kill = (reason: KillReason) => {
      if (exited || settled || !latch.trip(reason)) return;
      const groups = tree.groups(child);
      logger.info({ reason, pid: child.pid, groups }, `killing the command's process tree (${reason})`);
      if (reason === "abort") {
        groups.forEach((group) => signalGroup(group, "SIGKILL"));
        return;
      }
      groups.forEach((group) => signalGroup(group, "SIGTERM"));
      timers.push(setTimeout(() => tree.groups(child).forEach((group) => signalGroup(group, "SIGKILL")), KILL_GRACE_MS));
    };
    const onAbort = () => kill("abort");
    if (run.timeoutMs !== undefined) timers.push(setTimeout(() => kill("timeout"), run.timeoutMs));
    run.signal?.addEventListener("abort", onAbort, { once: true });
    const finish = () => {
      settled = true;
      timers.forEach(clearTimeout);
      run.signal?.removeEventListener("abort", onAbort);
    };

    stream(child.stdout, "stdout");
    stream(child.stderr, "stderr");
    function stream(pipe: Readable | null, name: "stdout" | "stderr") {
      pipe?.setEncoding("utf8").on("data", (data: string) => writer.write(name, data));
    }
    if (child.stdin && command.stdin !== undefined) {
      // A command that exits without reading its input is not an error of ours.
      child.stdin.on("error", () => {});
      child.stdin.end(command.stdin);
    }
    if (child.pid !== undefined) tree.spawned?.(child);

    child.once("exit", () => {
      exited = true;
      cleanup = Promise.resolve()
        .then(() => tree.exited(child))
        .catch((error: Error) => logger.error({ pid: child.pid, error: error.message }, "could not kill what the command left running"));
      const drain = setTimeout(() => {
        logger.warn({ pid: child.pid }, "a process that left the command's tree still holds its output pipes; closing them");
        child.stdio.forEach((pipe) => pipe?.destroy());
      }, PIPE_DRAIN_MS);
      timers.push(drain);
    });
    child.once("error", (error) => {
      if (settled) return;
      finish();
      const failure = unavailable(`could not start ${command.file}: ${error.message}; check that it is installed and on PATH`);
      writer.fail(failure);
      reject(failure);
    });
    child.once("close", (code, signal) => {
      if (settled) return;
      finish();
      void cleanup.then(() => {
        tree.closed?.(child);
        writer.end();
        resolve({ exitCode: exitCodeOf(code, signal), timedOut: latch.timedOut, cancelled: latch.cancelled, durationMs: Math.round(performance.now() - startedAt) });
      });
    });
  });
  return { output: writer.output, result };
}

export function neverStarted(): ExecResult {
  return { exitCode: KILLED_EXIT_CODE, timedOut: false, cancelled: true, durationMs: 0 };
}
