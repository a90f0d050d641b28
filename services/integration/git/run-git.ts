import { spawn } from "node:child_process";

/**
 * Every git call of the integration service goes through here: argument arrays to
 * `spawn` (never a shell), hooks switched off (integration runs configured checks, not
 * whatever sits in .git/hooks), C locale so messages parse, no terminal prompts.
 *
 * Hand-rolled over simple-git because integration needs stdin (commit messages, notes
 * read with -F -), a per-call environment (the push token for GIT_ASKPASS), AbortSignal
 * and the raw exit code (merge-base --is-ancestor answers with 1); simple-git covers
 * each only partly through plugins.
 */
export interface GitOptions {
  cwd: string;
  /** Added to the environment of this call only (e.g. the askpass token). */
  env?: Record<string, string>;
  /** Written to git's stdin. */
  input?: string;
  signal?: AbortSignal;
  /** Exit codes that are answers, not failures (e.g. 1 from merge-base --is-ancestor). */
  okCodes?: readonly number[];
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export class GitError extends Error {
  override name = "GitError";
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    /** stderr, then stdout. */
    readonly stderr: string,
  ) {
    super(`git ${subcommand(args)} failed (exit ${exitCode}): ${lastLines(stderr, 6) || "no output"}`);
  }
}

/** The git subcommand of an argument list, skipping leading `-c name=value` pairs. */
function subcommand(args: readonly string[]): string {
  let i = 0;
  while (args[i] === "-c") i += 2;
  return args[i] ?? "";
}

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Variables that would point git at another repository or index than `cwd`'s. */
const INHERITED_GIT_STATE = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR", "GIT_PREFIX"];

export function gitEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_GIT_STATE) delete env[name];
  return { ...env, LC_ALL: "C", LANG: "C", GIT_TERMINAL_PROMPT: "0", ...extra };
}

export function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  const fullArgs = ["-c", "core.hooksPath=/dev/null", ...args];
  return new Promise((resolve, reject) => {
    const child = spawn("git", fullArgs, {
      cwd: options.cwd,
      env: gitEnvironment(options.env),
      stdio: ["pipe", "pipe", "pipe"],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) into.push(chunk);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    child.stdin.on("error", () => {}); // git may exit before reading all of stdin; its exit code tells the story
    child.stdin.end(options.input ?? "");
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const result = {
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        exitCode: code ?? (signal ? 128 : 1),
      };
      if (result.exitCode === 0 || options.okCodes?.includes(result.exitCode)) resolve(result);
      // Some commands (push --porcelain) give the reason on stdout and only a summary on stderr.
      else reject(new GitError(args, result.exitCode, [result.stderr.trim(), result.stdout.trim()].filter(Boolean).join("\n")));
    });
  });
}

/** Runs git and returns its trimmed stdout; throws GitError on a non-zero exit. */
export async function git(cwd: string, args: readonly string[], options: Omit<GitOptions, "cwd"> = {}): Promise<string> {
  return (await runGit(args, { ...options, cwd })).stdout.trim();
}

/** For yes/no questions git answers with exit 0 or 1 (merge-base --is-ancestor, rev-parse --verify --quiet). */
export async function gitTest(cwd: string, args: readonly string[], signal?: AbortSignal): Promise<boolean> {
  return (await runGit(args, { cwd, signal, okCodes: [1] })).exitCode === 0;
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join(" | ");
}
