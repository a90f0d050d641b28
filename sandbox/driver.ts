import type { Logger } from "../shared/log.js";

/**
 * A sandbox runs the commands of one job; the agent loop and the runner stay outside.
 * Drivers: process, bwrap, docker, kubernetes. Model keys and git credentials never
 * enter a sandbox: `env` is the whole environment a command sees.
 */
export interface SandboxDriver {
  readonly name: "process" | "bwrap" | "docker" | "kubernetes";
  /** Whether this machine can run the driver (binary installed, engine reachable, ...). */
  available(): Promise<boolean>;
  start(spec: SandboxSpec, signal?: AbortSignal): Promise<Sandbox>;
  /** Removes sandboxes this driver left behind for `owner` (a crashed runner); returns how many. */
  sweep(owner: string): Promise<number>;
}

export interface SandboxSpec {
  jobId: string;
  /** The runner's worker id; labels every sandbox so orphans can be swept. */
  owner: string;
  /** Host path of the job's git worktree. */
  worktree: string;
  env: Record<string, string>;
  /**
   * Default false: no network. Only the operator turns it on (integration.check_network for
   * integration checks); a job's agent sandbox never has it.
   */
  network?: boolean;
  /**
   * "setup": the sandbox of a job's setup phase (services/runner/setup-stage.ts), the only job
   * sandbox with `network`: it installs dependencies, is stopped before the agent's sandbox starts,
   * and never has a model socket. Docker gives it runner.docker.setupNetwork.
   */
  phase?: "setup";
  /** The image of drivers that run one (docker); default the driver's configured image. */
  image?: string;
  /**
   * Give the sandbox a private directory for the runner's per-job model socket, the only way an
   * agent CLI inside reaches its model: a fresh host directory (mode 0700), read-only at
   * /run/pushpals in isolated sandboxes, removed by stop(). Refused together with `network`.
   */
  modelSocket?: boolean;
  limits?: { cpus?: number; memoryMb?: number; pids?: number };
  /** The job's logger (job, session, attempt bound); the sandbox's own lines go under it. */
  logger?: Logger;
}

export interface ExecOptions {
  /** Kills the command's whole process tree after this long; default no limit. */
  timeoutMs?: number;
  /** Aborting kills the command's whole process tree at once. */
  signal?: AbortSignal;
  /** Extra variables for this command only. */
  env?: Record<string, string>;
  /** Working directory relative to the workspace root. */
  cwd?: string;
  stdin?: string;
}

export interface OutputChunk {
  stream: "stdout" | "stderr";
  data: string;
}

export interface ExecResult {
  exitCode: number;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
}

export interface Execution {
  /** Output as it is produced; ends when the command has exited. */
  readonly output: AsyncIterable<OutputChunk>;
  readonly result: Promise<ExecResult>;
}

export interface Sandbox {
  readonly id: string;
  /** Absolute path of the workspace inside the sandbox (the worktree's view). */
  readonly workdir: string;
  /** The directory for the runner's model socket, when the spec asked for one. */
  readonly modelSocket?: ModelSocketDir;
  /** Runs `sh -c command` in the workspace. */
  exec(command: string, options?: ExecOptions): Execution;
  /** For drivers without a shared mount: bring the worktree in / its changes out. */
  copyIn(hostDir: string): Promise<void>;
  copyOut(hostDir: string): Promise<void>;
  /** Stops every process and removes the sandbox; safe to call twice. */
  stop(): Promise<void>;
}

/** A private directory on the host that commands in the sandbox see (read-only) at `dir`. */
export interface ModelSocketDir {
  /** Where the runner listens and leaves helper files, on the host. */
  hostDir: string;
  /** The same directory as commands inside see it. */
  dir: string;
  /** A node binary commands inside can run, when the driver knows one; else look for `node` on PATH. */
  node?: string;
}
