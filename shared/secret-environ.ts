import { closeSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import type { Logger } from "./log.js";

/** Names that hold secrets by convention (API keys, tokens, passwords, credentials, auth settings). */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|CREDS|AUTH|COOKIE|PRIVATE/i;
/** Secrets whose names the pattern could miss as tools spell them. */
const SECRET_NAMES = new Set(["GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "NPM_TOKEN", "PGPASSWORD", "NATS_CREDS"]);
/** A URL carrying user info (`scheme://user:password@host`, `https://<token>@host`): a database or NATS URL with its password. */
const URL_WITH_USER_INFO = /[a-z][a-z0-9+.-]*:\/\/[^/?#\s@]+@/i;

/**
 * Whether an environment variable holds a secret: by its name, or by a value that is a URL with
 * credentials in it. The one rule for what never enters a sandbox, a check or a host git, and
 * what is scrubbed from every PushPals process's /proc environ.
 */
export function isSecretVariable(name: string, value?: string): boolean {
  return SECRET_NAMES.has(name.toUpperCase()) || SECRET_NAME.test(name) || (value !== undefined && URL_WITH_USER_INFO.test(value));
}

/** `env` without its secrets: the environment for a process PushPals starts that is not PushPals. */
export function withoutSecrets(env: NodeJS.ProcessEnv): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !isSecretVariable(name, value)) kept[name] = value;
  }
  return kept;
}

/** What scrubbing this process's original environment block did. */
export interface EnvironScrub {
  /** The secret variables found in the block (scrubbed there, still set in process.env). */
  names: string[];
  /** Why the block could not be scrubbed; the names above are then readable in /proc/<pid>/environ. */
  problem?: string;
}

/**
 * Blanks the values of secret variables in this process's ORIGINAL environment block, the memory
 * /proc/<pid>/environ shows to every process of the same user (the process driver's commands
 * included); `delete process.env.X` does not touch that memory. The block is overwritten in place
 * through /proc/self/mem, between env_start and env_end of /proc/self/stat. Node's getenv reads
 * that same memory, so each value is copied first and set again afterwards: setenv keeps the new
 * value on the heap, which /proc/<pid>/environ does not show. Run it first thing in a process,
 * before anything reads or copies the environment.
 */
export function scrubSecretEnviron(env: NodeJS.ProcessEnv = process.env): EnvironScrub {
  const secrets = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && isSecretVariable(entry[0], entry[1]));
  const names = secrets.map(([name]) => name);
  if (names.length === 0) return { names };
  if (process.platform !== "linux") return { names, problem: `${process.platform} has no /proc/self/mem to overwrite the environment with` };
  try {
    overwriteEnvironBlock(new Set(names));
  } catch (error) {
    return { names, problem: (error as Error).message };
  } finally {
    for (const [name, value] of secrets) env[name] = value;
  }
  const still = shownValues(new Set(names));
  return still.length > 0 ? { names, problem: `/proc/self/environ still shows ${still.join(", ")} after the overwrite` } : { names };
}

/** Which of `names` /proc/self/environ still shows with a value. */
function shownValues(names: ReadonlySet<string>): string[] {
  return readFileSync("/proc/self/environ", "latin1")
    .split("\0")
    .filter((entry) => entry.includes("=") && names.has(entry.slice(0, entry.indexOf("="))) && entry.slice(entry.indexOf("=") + 1) !== "")
    .map((entry) => entry.slice(0, entry.indexOf("=")));
}

function overwriteEnvironBlock(names: ReadonlySet<string>): void {
  const { start, end } = environBounds();
  const fd = openSync("/proc/self/mem", "r+");
  try {
    const block = Buffer.alloc(end - start);
    readSync(fd, block, 0, block.length, start);
    let changed = false;
    for (let at = 0; at < block.length; ) {
      const stop = block.indexOf(0, at);
      const entryEnd = stop === -1 ? block.length : stop;
      const equals = block.indexOf(0x3d, at); // "="
      if (equals !== -1 && equals < entryEnd && names.has(block.toString("latin1", at, equals))) {
        block.fill(0, equals + 1, entryEnd);
        changed = true;
      }
      at = entryEnd + 1;
    }
    if (changed) writeSync(fd, block, 0, block.length, start);
  } finally {
    closeSync(fd);
  }
}

/** env_start and env_end: fields 50 and 51 of /proc/self/stat, counted after the command name's last ")". */
function environBounds(): { start: number; end: number } {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start > 0 && end > start)) {
    throw new Error(`/proc/self/stat gives no environment bounds (env_start ${fields[47]}, env_end ${fields[48]})`);
  }
  return { start, end };
}

/** One debug line when the block was scrubbed; a warning when it could not be, since the process driver could then read the values. */
export function reportEnvironScrub(scrub: EnvironScrub, logger: Logger): void {
  if (scrub.names.length === 0) return;
  if (!scrub.problem) {
    logger.debug({ variables: scrub.names }, "secret variables blanked in this process's /proc environ (their values stay in memory)");
    return;
  }
  logger.warn(
    { variables: scrub.names, problem: scrub.problem },
    `could not blank secret variables in /proc/${process.pid}/environ (${scrub.problem}): commands run by the process driver, and any other process of this user, can read ${scrub.names.join(", ")}; ` +
      `use the bwrap or docker driver, whose commands cannot see this process`,
  );
}

/**
 * The variables named in `allowList` that are set here: what a sandboxed check or collector command may see of this
 * process's environment. A secret stays out even when allow-listed, as in the runner's sandboxes.
 */
export function allowedEnvironment(allowList: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of allowList) {
    const value = env[name];
    if (value !== undefined && !isSecretVariable(name, value)) picked[name] = value;
  }
  return picked;
}
