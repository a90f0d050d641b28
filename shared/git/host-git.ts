import { spawn } from "node:child_process";
import { hostGitEnvironment } from "./git-environment.js";
import { GitError, globalOptionCount } from "./git-error.js";
import { parseScopedConfig, PROGRAM_KEYS_PATTERN, repositoryOverrides, type RepositoryOverrides } from "./repository-programs.js";
import { SAFE_CONFIG } from "./safe-config.js";

/**
 * Every git PushPals runs on the host (runner, worktree pool, integration and its checks'
 * worktree, planner, cli) goes through here: argument arrays to `spawn` (never a shell), the
 * settings of safe-config.ts, the repository's own program keys replaced (repository-programs.ts),
 * an environment without secrets or inherited git state (git-environment.ts), stdin, a per-call
 * environment (the push token for GIT_ASKPASS), AbortSignal and the raw exit code (merge-base
 * --is-ancestor answers with 1).
 *
 * Hand-written rather than simple-git: simple-git 4 waits a fixed 50 ms after every command that
 * prints nothing (its completion plugin), and a job's start is a row of silent commands
 * (`worktree add --quiet`, `worktree move`, `update-ref`, `symbolic-ref`): measured 55 ms against
 * 4 ms for one `git worktree move` (see bench/sandbox-latency.ts); and it covers stdin, per-call
 * environments and exit codes only partly, through plugins.
 */
export interface HostGitOptions {
  cwd: string;
  /** `name=value` settings of this call, after PushPals' own (e.g. the commit identity). */
  config?: readonly string[];
  /** Added to the environment of this call only (e.g. the askpass token); not filtered. */
  env?: Readonly<Record<string, string>>;
  /** Written to git's stdin. */
  input?: string;
  /** Aborting kills the running git; the promise rejects with the AbortError. */
  signal?: AbortSignal;
  /** Exit codes that are answers, not failures (e.g. 1 from merge-base --is-ancestor). */
  okCodes?: readonly number[];
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Subcommands that read or write only refs and objects, never the work tree or the index (even
 * write-tree refreshes index entries through the filters): no driver, remote program, credential
 * helper or signing program can come into play, so the repository's config is not listed first
 * (a job's start is a row of these; the settings of safe-config.ts still apply). diff-tree
 * compares trees and, as plumbing, runs no textconv or external diff. `worktree` only for the
 * subcommands that check nothing out.
 */
const NO_PROGRAM_COMMANDS = new Set([
  "rev-parse",
  "update-ref",
  "symbolic-ref",
  "merge-base",
  "rev-list",
  "cat-file",
  "commit-tree",
  "for-each-ref",
  "show-ref",
  "ls-tree",
  "diff-tree",
  "check-ref-format",
  "config",
  "init",
  "version",
]);
const NO_PROGRAM_WORKTREE_COMMANDS = new Set(["move", "list", "prune", "lock", "unlock"]);
const UPLOAD_PACK_COMMANDS = new Set(["fetch", "ls-remote", "clone"]);

export async function runHostGit(args: readonly string[], options: HostGitOptions): Promise<GitResult> {
  const split = globalOptionCount(args);
  const [leading, subcommand, rest] = [args.slice(0, split), args[split] ?? "", args.slice(split + 1)];
  const overrides = needsListing(subcommand, rest[0]) ? await listRepositoryPrograms(leading, options) : undefined;
  const fullArgs = subcommand === "" ? args : [...leading, subcommand, ...subcommandOptions(subcommand, overrides), ...rest];
  return spawnGit(args, fullArgs, { ...options, settings: [...settingsOf(overrides), ...(options.config ?? [])], overrideEnv: overrides?.env ?? {} });
}

function needsListing(subcommand: string, first: string | undefined): boolean {
  if (subcommand === "worktree") return !NO_PROGRAM_WORKTREE_COMMANDS.has(first ?? "");
  return subcommand !== "" && !NO_PROGRAM_COMMANDS.has(subcommand);
}

/** The repository's program keys, read with the same repository options the command gets. */
async function listRepositoryPrograms(leading: readonly string[], options: HostGitOptions): Promise<RepositoryOverrides> {
  const listing = [...leading, "config", "-z", "--show-scope", "--get-regexp", PROGRAM_KEYS_PATTERN];
  // 1: no key matched. Any other failure (a broken config file) is the command's failure too.
  const { stdout } = await spawnGit(listing, listing, { cwd: options.cwd, signal: options.signal, okCodes: [1], settings: [], overrideEnv: {} });
  return repositoryOverrides(parseScopedConfig(stdout));
}

function settingsOf(overrides: RepositoryOverrides | undefined): string[] {
  return (overrides?.config ?? []).map(([name, value]) => `${name}=${value}`);
}

/** For remote programs the first definition wins, so a planted one is beaten by the command's own option. */
function subcommandOptions(subcommand: string, overrides: RepositoryOverrides | undefined): string[] {
  if (overrides?.uploadPack && UPLOAD_PACK_COMMANDS.has(subcommand)) return ["--upload-pack=git-upload-pack"];
  if (overrides?.receivePack && subcommand === "push") return ["--receive-pack=git-receive-pack"];
  return [];
}

interface SpawnOptions extends Omit<HostGitOptions, "config"> {
  /** `name=value` settings after SAFE_CONFIG. */
  settings: readonly string[];
  /** Set unless the operator's environment already names them. */
  overrideEnv: Readonly<Record<string, string>>;
}

/**
 * Settings go in GIT_CONFIG_COUNT/KEY/VALUE rather than `-c`: a key may hold "=" (a URL-scoped
 * credential helper), and they stay off the command line. git reads them after every config
 * file and before the caller's own `-c` options, and passes them on to every git it starts.
 */
function spawnGit(reported: readonly string[], fullArgs: readonly string[], options: SpawnOptions): Promise<GitResult> {
  const settings = [...SAFE_CONFIG, ...options.settings];
  const env = hostGitEnvironment(options.env);
  for (const [name, value] of Object.entries(options.overrideEnv)) env[name] ??= value;
  env.GIT_CONFIG_COUNT = String(settings.length);
  settings.forEach((setting, i) => {
    const equals = setting.indexOf("=");
    env[`GIT_CONFIG_KEY_${i}`] = setting.slice(0, equals);
    env[`GIT_CONFIG_VALUE_${i}`] = setting.slice(equals + 1);
  });
  return new Promise((resolve, reject) => {
    const child = spawn("git", fullArgs, { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"], signal: options.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let overflow = false;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) into.push(chunk);
      else if (!overflow) {
        overflow = true;
        child.kill("SIGKILL");
      }
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    child.stdin.on("error", () => {}); // git may exit before reading all of stdin; its exit code tells the story
    child.stdin.end(options.input ?? "");
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (overflow) {
        return reject(new GitError(reported, 128, `git printed more than ${MAX_OUTPUT_BYTES} bytes; it was stopped (ask it for less output)`));
      }
      const exitCode = code ?? (signal ? 128 : 1);
      if (exitCode === 0 || options.okCodes?.includes(exitCode)) return resolve({ stdout, stderr, exitCode });
      // Some commands (push --porcelain) give the reason on stdout and only a summary on stderr.
      reject(new GitError(reported, exitCode, [stderr.trim(), stdout.trim()].filter(Boolean).join("\n")));
    });
  });
}

/** Runs git and returns its trimmed stdout; throws GitError on a non-zero exit. */
export async function hostGit(cwd: string, args: readonly string[], options: Omit<HostGitOptions, "cwd"> = {}): Promise<string> {
  return (await runHostGit(args, { ...options, cwd })).stdout.trim();
}

/** For yes/no questions git answers with exit 0 or 1 (merge-base --is-ancestor, rev-parse --verify --quiet). */
export async function hostGitTest(cwd: string, args: readonly string[], signal?: AbortSignal): Promise<boolean> {
  return (await runHostGit(args, { cwd, signal, okCodes: [1] })).exitCode === 0;
}
