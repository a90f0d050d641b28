import { statSync } from "node:fs";
import { isAbsolute, join, posix } from "node:path";
import { invalidArgument } from "../shared/errors.js";
import type { ExecOptions, SandboxSpec } from "./driver.js";

/** Safe in container names, labels, file names and log lines. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a spec at the driver boundary; everything past this trusts it. */
export function validateSpec(spec: SandboxSpec): void {
  if (!NAME.test(spec.jobId ?? "")) {
    throw invalidArgument("spec.jobId", `"${spec.jobId}" must be 1-128 letters, digits, "_", "." or "-" (a job id like job_01H...)`);
  }
  if (!NAME.test(spec.owner ?? "")) {
    throw invalidArgument("spec.owner", `"${spec.owner}" must be 1-128 letters, digits, "_", "." or "-" (the runner's worker id)`);
  }
  if (typeof spec.worktree !== "string" || !isAbsolute(spec.worktree)) {
    throw invalidArgument("spec.worktree", `"${spec.worktree}" must be an absolute host path`);
  }
  if (!isDirectory(spec.worktree)) {
    throw invalidArgument("spec.worktree", `${spec.worktree} is not a directory; create the job's git worktree before starting its sandbox`);
  }
  validateEnv("spec.env", spec.env);
  for (const [key, value] of Object.entries(spec.limits ?? {})) {
    if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value > 0)) {
      throw invalidArgument(`spec.limits.${key}`, `must be a positive number, got ${String(value)}`);
    }
  }
}

export interface CheckedExec {
  command: string;
  /** Normalised, relative to the workspace root, "" for the root itself. */
  cwd: string;
  /** The whole environment the command sees: the sandbox's plus this command's. */
  env: Record<string, string>;
  stdin: string | undefined;
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
}

/** Checks one exec call; `hostRoot` is where the workspace lives on the host, to check `cwd` exists. */
export function validateExec(command: string, options: ExecOptions, sandboxEnv: Record<string, string>, hostRoot: string): CheckedExec {
  if (typeof command !== "string" || command.trim() === "") throw invalidArgument("command", "must be a non-empty shell command");
  if (command.includes("\0")) throw invalidArgument("command", "must not contain NUL bytes");
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw invalidArgument("timeoutMs", `must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
  if (options.stdin !== undefined && typeof options.stdin !== "string") throw invalidArgument("stdin", "must be a string");
  validateEnv("env", options.env);
  const cwd = checkCwd(options.cwd ?? "", hostRoot);
  return {
    command,
    cwd,
    env: { ...sandboxEnv, ...options.env },
    stdin: options.stdin,
    timeoutMs,
    signal: options.signal,
  };
}

function checkCwd(raw: string, hostRoot: string): string {
  if (typeof raw !== "string" || raw.includes("\0")) throw invalidArgument("cwd", "must be a path relative to the workspace root");
  if (posix.isAbsolute(raw)) {
    throw invalidArgument("cwd", `"${raw}" is absolute; pass a path relative to the workspace root (e.g. "src")`);
  }
  const cwd = posix.normalize(raw === "" ? "." : raw).replace(/\/+$/, "");
  if (cwd === ".." || cwd.startsWith("../")) throw invalidArgument("cwd", `"${raw}" leaves the workspace; pass a path inside it`);
  const relative = cwd === "." ? "" : cwd;
  if (!isDirectory(join(hostRoot, relative))) {
    throw invalidArgument("cwd", `"${raw}" is not a directory in the workspace; create it first or pass an existing one`);
  }
  return relative;
}

function validateEnv(field: string, env: Record<string, string> | undefined): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(name)) throw invalidArgument(`${field}.${name}`, "is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
    if (typeof value !== "string" || value.includes("\0")) throw invalidArgument(`${field}.${name}`, "must be a string without NUL bytes");
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
