import { simpleGit, type SimpleGit } from "simple-git";

/**
 * git for the runner, through simple-git. Hooks and fsmonitor are switched off: the runner's
 * git runs on the host, and a sandboxed command must not be able to plant a program there that
 * the runner would then run with its rights (under the process driver it could write .git).
 * simple-git refuses those settings and explicit --git-dir/--work-tree unless allowed by name,
 * which is what we want for everything else.
 */
export interface GitOptions {
  /** Aborting kills the running git command. */
  signal?: AbortSignal;
  /** Extra `-c name=value` settings for every command. */
  config?: string[];
}

const SAFE_CONFIG = ["core.hooksPath=/dev/null", "core.fsmonitor=false", "advice.detachedHead=false"];

export function workspaceGit(baseDir: string, options: GitOptions = {}): SimpleGit {
  return simpleGit({
    baseDir,
    config: [...SAFE_CONFIG, ...(options.config ?? [])],
    ...(options.signal ? { abort: options.signal } : {}),
    unsafe: { allowUnsafeHooksPath: true, allowUnsafeFsMonitor: true, allowUnsafeConfigPaths: true },
  });
}

/** The first line of a git error, for messages people read. */
export function gitProblem(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().split("\n").filter(Boolean).slice(-3).join(" | ") || "git failed without a message";
}
