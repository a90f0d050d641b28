import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { unavailable } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import type { ExecResult, Execution, OutputChunk } from "../driver.js";
import { neverStarted } from "../host-execution.js";
import { KILL_GRACE_MS, KILLED_EXIT_CODE } from "../kill.js";
import { createOutput } from "../output.js";
import type { CheckedExec } from "../validate.js";
import { demultiplex } from "./demux.js";
import { EngineError, type EngineClient } from "./engine-client.js";
import { createdObject, execInspect } from "./engine-answers.js";
import { KILL_FOUND_NOTHING, killCommand, wrappedCommand } from "./exec-scripts.js";
import { killLatch, type KillReason } from "../kill-latch.js";

/** Where the worktree appears inside a docker sandbox. */
export const DOCKER_WORKDIR = "/workspace";

/** After a kill, how long past the grace the exec may take to end before the container is restarted. */
const ESCALATE_AFTER_MS = 3000;

export interface ContainerTarget {
  engine: EngineClient;
  containerId: string;
  /** True once the sandbox is being removed: killing inside it is then pointless. */
  removing(): boolean;
  /** Last resort when a command's tree could not be killed: restart the container (kills all in it). */
  restart(): Promise<void>;
  /** Settles once no restart is under way: the engine refuses execs while the container restarts. */
  settled(): Promise<void>;
  logger: Logger;
}

/** Runs one command through the exec API under the wrapper that makes its tree killable. */
export function execInContainer(target: ContainerTarget, checked: CheckedExec, signal: AbortSignal): Execution {
  const writer = createOutput();
  if (signal.aborted) {
    writer.end();
    return { output: writer.output, result: Promise.resolve(neverStarted()) };
  }
  const result = runExec(target, checked, signal, (chunk) => writer.write(chunk.stream, chunk.data));
  result.then(
    () => writer.end(),
    (error: Error) => writer.fail(error),
  );
  return { output: writer.output, result };
}

async function runExec(target: ContainerTarget, checked: CheckedExec, signal: AbortSignal, emit: (chunk: OutputChunk) => void): Promise<ExecResult> {
  const { engine, containerId } = target;
  const startedAt = performance.now();
  const execId = randomBytes(8).toString("hex");
  const log = target.logger.child({ execId });
  const killer = treeKiller(target, execId, log);
  const onAbort = () => killer.kill("abort");
  signal.addEventListener("abort", onAbort, { once: true });
  const timeout = checked.timeoutMs === undefined ? undefined : setTimeout(() => killer.kill("timeout"), checked.timeoutMs);
  try {
    await target.settled();
    const created = await engine.read(createdObject, "POST", `/containers/${containerId}/exec`, {
      AttachStdin: checked.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      WorkingDir: posix.join(DOCKER_WORKDIR, checked.cwd),
      Cmd: wrappedCommand(checked.command, execId, checked.env),
    });
    const stream = await engine.hijack(`/exec/${created.Id}/start`, { Detach: false, Tty: false });
    killer.started();
    if (checked.stdin !== undefined) {
      if (!stream.input) {
        stream.close();
        throw unavailable(`the container engine at ${engine.host} does not upgrade exec connections, so stdin cannot be sent; use Docker or podman`);
      }
      stream.input.end(checked.stdin);
    }
    const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
    try {
      for await (const frame of demultiplex(stream.output)) emit({ stream: frame.stream, data: decoders[frame.stream].write(frame.data) });
    } catch (error) {
      // A stream cut by the container's removal or restart is the expected end of a killed command.
      if (!killer.killed()) throw error;
    } finally {
      killer.ended();
      stream.close();
    }
    for (const name of ["stdout", "stderr"] as const) emit({ stream: name, data: decoders[name].end() });
    const exitCode = await exitCodeOf(engine, created.Id).catch((error: Error) => {
      if (killer.killed()) return KILLED_EXIT_CODE;
      throw error;
    });
    return { exitCode, ...killer.flags(), durationMs: Math.round(performance.now() - startedAt) };
  } finally {
    killer.ended();
    clearTimeout(timeout);
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Kills one exec's process tree: a kill exec signals the wrapper's group (SIGTERM then SIGKILL
 * for a timeout, SIGKILL for an abort). If that finds nothing to kill, or the tree outlives it,
 * the container is restarted. A kill asked for before the exec has started waits for it.
 */
function treeKiller(target: ContainerTarget, execId: string, log: Logger) {
  const latch = killLatch();
  let running = false;
  let done = false;
  let escalated = false;
  let escalation: NodeJS.Timeout | undefined;

  const escalate = (why: string) => {
    if (done || escalated || target.removing()) return;
    escalated = true;
    log.warn(`the command's process tree could not be killed (${why}); restarting its container`);
    void target.restart().catch((error: Error) => log.error({ error: error.message }, "restarting the container failed"));
  };
  const act = () => {
    if (done || !running || target.removing()) return;
    const graceMs = latch.cancelled ? 0 : KILL_GRACE_MS;
    log.info({ reason: latch.cancelled ? "abort" : "timeout" }, "killing the command's process tree");
    void killTree(target.engine, target.containerId, execId, graceMs).then(
      (code) => code === KILL_FOUND_NOTHING && escalate("its pid file is gone"),
      (error: Error) => log.warn({ error: error.message }, "the kill exec failed"),
    );
    clearTimeout(escalation);
    escalation = setTimeout(() => escalate("it outlived the kill"), graceMs + ESCALATE_AFTER_MS);
  };
  return {
    kill(reason: KillReason) {
      if (done) return;
      if (latch.trip(reason)) act();
    },
    started() {
      running = true;
      if (latch.tripped) act();
    },
    ended() {
      done = true;
      clearTimeout(escalation);
    },
    killed: () => latch.tripped,
    flags: () => ({ timedOut: latch.timedOut, cancelled: latch.cancelled }),
  };
}

/** Runs the kill script in the container and returns its exit status. */
async function killTree(engine: EngineClient, containerId: string, execId: string, graceMs: number): Promise<number> {
  const created = await engine.read(createdObject, "POST", `/containers/${containerId}/exec`, {
    AttachStdout: true,
    AttachStderr: true,
    Cmd: killCommand(execId, graceMs),
  });
  const stream = await engine.hijack(`/exec/${created.Id}/start`, { Detach: false, Tty: false });
  for await (const frame of demultiplex(stream.output)) void frame;
  return exitCodeOf(engine, created.Id);
}

/** The engine may still report the exec as running for a moment after its stream ended. */
async function exitCodeOf(engine: EngineClient, execId: string): Promise<number> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const inspect = await engine.read(execInspect, "GET", `/exec/${execId}/json`);
    if (!inspect.Running && inspect.ExitCode !== null) return inspect.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new EngineError(0, `exec ${execId} still shows as running 2 s after its output ended; check the engine's health`);
}
