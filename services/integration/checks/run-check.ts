import type { Logger } from "../../../shared/log.js";
/**
 * How a check command is run. The integration core takes this as a dependency so the
 * supervisor's sandbox drivers (bwrap, docker, kubernetes) can run checks; the host
 * implementation (host-run-check.ts) is the default.
 */
export interface CheckRunOptions {
  /** The merged tree to check. */
  cwd: string;
  /** The whole process tree is killed after this long. */
  timeoutMs: number;
  /** Aborting kills the whole process tree at once. */
  signal?: AbortSignal;
  /** Names the run (the completion's id) where a runner labels what it starts, e.g. a sandbox. */
  runId?: string;
  /** The run's logger (completion, job and session bound); a sandbox's own lines go under it. */
  logger?: Logger;
  /**
   * Sees the output as it is produced (stdout and stderr interleaved), for live logs.
   * A side channel next to the returned promise, which stays the one result.
   */
  onOutput?: (chunk: string) => void;
}

export interface CheckRun {
  /** 128 + signal number when killed by a signal. */
  exitCode: number;
  /** Head and tail of stdout and stderr, interleaved as produced. */
  output: string;
  /** The summary lines of the whole output (test counts, failures); a runner that leaves it out has them read from `output`. */
  summary?: string[];
  timedOut: boolean;
  durationMs: number;
}

export type RunCheck = (command: string, options: CheckRunOptions) => Promise<CheckRun>;
