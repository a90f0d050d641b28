import { execFile } from "node:child_process";

/**
 * git for the runner: `execFile` with an argument array (never a shell), hooks and fsmonitor
 * off, no prompts, C locale, and none of the caller's GIT_* variables that would point it at
 * another repository. Hooks off matters: the runner's git runs on the host, and a sandboxed
 * command must not be able to plant a program there that the runner then runs with its rights
 * (under the process driver it could write .git).
 *
 * Hand-written rather than simple-git: simple-git 4 waits a fixed 50 ms after every command that
 * prints nothing (its completion plugin), and a job's start is a row of silent commands
 * (`worktree add --quiet`, `worktree move`, `update-ref`, `symbolic-ref`): measured 55 ms against
 * 4 ms for one `git worktree move` (see bench/sandbox-latency.ts).
 */
export interface GitOptions {
  /** Aborting kills the running git command. */
  signal?: AbortSignal;
  /** Extra `-c name=value` settings for every command. */
  config?: string[];
}

export interface Git {
  /** Runs `git <args>` and resolves with its stdout; rejects with a GitCommandError. */
  raw(args: readonly string[]): Promise<string>;
}

const SAFE_CONFIG = ["core.hooksPath=/dev/null", "core.fsmonitor=false", "advice.detachedHead=false"];
/**
 * Variables that would point git at another repository, index or object store than the one
 * asked for, or put someone else's name on the job's commits.
 */
const INHERITED_GIT_STATE = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_PREFIX",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CONFIG_COUNT",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_AUTHOR_DATE",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "GIT_COMMITTER_DATE",
];
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export class GitCommandError extends Error {
  override name = "GitCommandError";
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | string | null,
    readonly stderr: string,
  ) {
    super(`git ${args.find((arg) => !arg.startsWith("-")) ?? ""} failed (exit ${exitCode}): ${stderr.trim().split("\n").slice(-4).join(" | ") || "no output"}`);
  }
}

function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", LANG: "C", GIT_TERMINAL_PROMPT: "0" };
  for (const name of INHERITED_GIT_STATE) delete env[name];
  return env;
}

export function workspaceGit(baseDir: string, options: GitOptions = {}): Git {
  const config = [...SAFE_CONFIG, ...(options.config ?? [])].flatMap((setting) => ["-c", setting]);
  return {
    raw(args) {
      return new Promise((resolve, reject) => {
        execFile(
          "git",
          [...config, ...args],
          { cwd: baseDir, env: gitEnvironment(), maxBuffer: MAX_OUTPUT_BYTES, encoding: "utf8", ...(options.signal ? { signal: options.signal } : {}) },
          (error, stdout, stderr) => {
            if (!error) return resolve(stdout);
            if (error.name === "AbortError") return reject(error);
            reject(new GitCommandError(args, error.code ?? null, stderr || error.message));
          },
        );
      });
    },
  };
}

/** The last lines of a git error, for messages people read. */
export function gitProblem(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().split("\n").filter(Boolean).slice(-3).join(" | ") || "git failed without a message";
}
