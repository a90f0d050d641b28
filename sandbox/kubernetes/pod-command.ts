import { randomBytes } from "node:crypto";
import { invalidArgument } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import type { ExecResult, Execution } from "../driver.js";
import { neverStarted } from "../host-execution.js";
import { KILL_GRACE_MS } from "../kill.js";
import { createOutput } from "../output.js";
import { openExec, type OpenExec, type PodTarget } from "./pod-exec.js";
import { REFUSED, STARTED, killArgv, runArgv } from "./pod-scripts.js";
import { textSink } from "./text-sink.js";
import { killLatch, type KillReason } from "../kill-latch.js";

export interface PodCommand {
  command: string;
  /** Relative to the workspace, "" for its root. */
  cwd: string;
  /** The command's whole environment. */
  env: Record<string, string>;
  stdin: string | undefined;
  timeoutMs: number | undefined;
  signal: AbortSignal;
}

/** After the kill exec has run, how long the command's own exec may take to report before it is dropped. */
const SETTLE_AFTER_KILL_MS = 3000;
/** What a command reports when its exec had to be dropped after a kill: killed by SIGKILL. */
const KILLED_EXIT_CODE = 137;

/**
 * One command in the pod, through the wrapper in pod-scripts.ts. A timeout sends the
 * command's process group SIGTERM and, after a grace, SIGKILL; an abort sends SIGKILL at once;
 * both through a second exec. The result settles when the pod reports the exit status, or, if
 * a killed command's exec never does (a process that left the group still holds its output),
 * a little after the kill, with the stream dropped.
 */
export function runInPod(target: PodTarget, run: PodCommand, logger: Logger): Execution {
  const writer = createOutput();
  if (run.signal.aborted) {
    writer.end();
    return { output: writer.output, result: Promise.resolve(neverStarted()) };
  }
  const execId = randomBytes(8).toString("hex");
  const log = logger.child({ execId });
  const startedAt = performance.now();

  // The wrapper's first stdout byte: did the command start (STARTED), or why not (REFUSED, then the reason)?
  const start: { gate: "waiting" | "started" | "refused"; refusal: string } = { gate: "waiting", refusal: "" };
  const stdout = textSink((text) => {
    if (start.gate === "waiting") {
      const first = text.charCodeAt(0);
      start.gate = first === REFUSED ? "refused" : "started";
      if (first === REFUSED || first === STARTED) text = text.slice(1);
    }
    if (start.gate === "refused") start.refusal += text;
    else writer.write("stdout", text);
  });
  const stderr = textSink((text) => writer.write("stderr", text));

  const latch = killLatch();
  let killSettled: (() => void) | undefined;
  const stalled = new Promise<"stalled">((resolve) => {
    killSettled = () => setTimeout(() => resolve("stalled"), SETTLE_AFTER_KILL_MS).unref();
  });
  const kill = (reason: KillReason) => {
    if (!latch.trip(reason)) return;
    log.info({ reason }, `killing the command's process group in the pod (${reason})`);
    void killGroup(target, execId, reason === "abort" ? 0 : KILL_GRACE_MS, log).then(() => killSettled?.());
  };
  const onAbort = () => kill("abort");
  const timer = run.timeoutMs === undefined ? undefined : setTimeout(() => kill("timeout"), run.timeoutMs);
  run.signal.addEventListener("abort", onAbort, { once: true });

  const stdinBytes = run.stdin === undefined ? undefined : Buffer.from(run.stdin, "utf8");
  const result = (async (): Promise<ExecResult> => {
    let exec: OpenExec | undefined;
    try {
      exec = await openExec(target, runArgv({ execId, cwd: run.cwd, command: run.command, env: run.env, stdinBytes: stdinBytes?.length }), {
        stdout: stdout.writable,
        stderr: stderr.writable,
        ...(stdinBytes ? { stdin: once(stdinBytes) } : {}),
      });
      const outcome = await Promise.race([exec.exitCode.then((code) => ({ code })), stalled]);
      let exitCode: number;
      if (outcome === "stalled") {
        log.warn("the killed command's exec did not report; dropping its stream (what escaped its process group dies with the pod)");
        exec.close();
        exitCode = KILLED_EXIT_CODE;
      } else {
        exitCode = outcome.code;
      }
      if (start.gate === "refused") throw invalidArgument("cwd", start.refusal);
      return { exitCode, timedOut: latch.timedOut, cancelled: latch.cancelled, durationMs: Math.round(performance.now() - startedAt) };
    } catch (error) {
      // A command killed while its pod is deleted (stop()) loses its stream without a status.
      if (exec && latch.tripped && start.gate !== "refused") {
        return { exitCode: KILLED_EXIT_CODE, timedOut: latch.timedOut, cancelled: latch.cancelled, durationMs: Math.round(performance.now() - startedAt) };
      }
      throw error;
    } finally {
      if (timer) clearTimeout(timer);
      run.signal.removeEventListener("abort", onAbort);
      stdout.flush();
      stderr.flush();
    }
  })();
  // The output ends either way; a failure is the result's to report (failing the output too
  // would be an unhandled error for a caller that only awaits the result).
  result.then(
    (settled) => {
      log.debug({ exitCode: settled.exitCode, timedOut: latch.timedOut, cancelled: latch.cancelled, durationMs: settled.durationMs }, "command finished in the pod");
      writer.end();
    },
    (error: Error) => {
      log.debug({ error: error.message }, "command did not run in the pod");
      writer.end();
    },
  );
  return { output: writer.output, result };
}

/** Signals the command's group through a second exec; failures are logged (the pod's deletion is the backstop). */
async function killGroup(target: PodTarget, execId: string, graceMs: number, log: Logger): Promise<void> {
  try {
    const discard = textSink(() => {});
    const exec = await openExec(target, killArgv(execId, graceMs), { stdout: discard.writable, stderr: discard.writable });
    const code = await exec.exitCode;
    if (code === 3) log.info("the command had already ended, or removed its pid file; leftovers die with the pod");
    else if (code !== 0) log.warn({ code }, "the kill exec failed; leftovers die with the pod");
  } catch (error) {
    log.warn({ error: (error as Error).message }, "could not run the kill exec; leftovers die with the pod");
  }
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  if (bytes.length > 0) yield bytes;
}
