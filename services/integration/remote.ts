import { unavailable } from "../../shared/errors.js";
import { redact, type RemoteAccess } from "./git/credentials.js";
import { GitError, git } from "./git/run-git.js";

/**
 * The few git calls that talk to the remote. Each runs with the askpass environment
 * (token in env, never argv) and turns a failure into Unavailable with the remote's
 * message, token redacted, and what to check next.
 */
export interface Remote {
  name: string;
  access: RemoteAccess;
  /** For redaction. */
  token: string;
}

/** Which of `refs` exist on the remote, with their shas. */
export async function listRemoteRefs(cwd: string, remote: Remote, refs: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const out = await remoteGit(cwd, remote, ["ls-remote", remote.name, ...refs], signal, "list the refs of");
  const found = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [sha, ref] = line.split("\t");
    if (sha && ref && refs.includes(ref)) found.set(ref, sha);
  }
  return found;
}

/** Fetches `refspecs` (forced updates written locally). */
export async function fetchRefs(cwd: string, remote: Remote, refspecs: readonly string[], signal?: AbortSignal): Promise<void> {
  if (refspecs.length === 0) return;
  await remoteGit(cwd, remote, ["fetch", "--no-tags", "--quiet", "--no-write-fetch-head", remote.name, ...refspecs], signal, "fetch from");
}

export interface RefUpdate {
  /** Local commit or ref to push. */
  source: string;
  /** Remote ref to set. */
  target: string;
  /** What the remote must still hold ("" = must not exist): compare-and-swap on the remote side. */
  expect: string;
}

/**
 * All updates land together or none does (--atomic), and each only if the remote still
 * holds what we fetched (--force-with-lease=<ref>:<expect>), so a concurrent writer is
 * never overwritten.
 */
export async function pushAtomic(cwd: string, remote: Remote, updates: readonly RefUpdate[], env: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const leases = updates.map((u) => `--force-with-lease=${u.target}:${u.expect}`);
  const refspecs = updates.map((u) => `${u.source}:${u.target}`);
  await remoteGit(cwd, remote, ["push", "--atomic", "--porcelain", "--no-verify", ...leases, remote.name, ...refspecs], signal, "push to", env);
}

async function remoteGit(cwd: string, remote: Remote, args: string[], signal: AbortSignal | undefined, action: string, env: Record<string, string> = {}): Promise<string> {
  try {
    return await git(cwd, [...remote.access.gitArgs, ...args], { signal, env: { ...env, ...remote.access.env } });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const detail = redact(error.stderr.trim().split("\n").slice(-8).join(" | "), remote.token);
    throw unavailable(
      `could not ${action} remote ${remote.name}: ${detail || `git exited ${error.exitCode}`}; check the remote is reachable and its credentials (integration.pushToken / PUSHPALS_GIT_PUSH_TOKEN) may read and push`,
    );
  }
}
