import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Push and fetch credentials reach git without touching any command line: git runs
 * GIT_ASKPASS with the prompt as its only argument, and this helper answers from
 * variables set in the environment of that one git call (which `ps` does not show and
 * only the same user can read from /proc). The token is never written to disk, a
 * remote URL or the logs.
 */
const ASKPASS_SCRIPT = `#!/bin/sh
# PushPals integration: git asks for "Username for ..." then "Password for ...".
case "$1" in
  Username*) printf '%s\\n' "$PUSHPALS_GIT_USERNAME" ;;
  *) printf '%s\\n' "$PUSHPALS_GIT_TOKEN" ;;
esac
`;

export interface GitCredentials {
  username: string;
  token: string;
}

/** What a git call that talks to the remote adds: leading `-c` options and environment. */
export interface RemoteAccess {
  gitArgs: string[];
  env: Record<string, string>;
}

/**
 * Writes the askpass helper under `dir` and returns what a remote git call needs. The
 * configured credential helpers are switched off for those calls so that a helper such
 * as `store` never saves the token to disk.
 */
export async function remoteAccess(dir: string, credentials: GitCredentials | undefined): Promise<RemoteAccess> {
  if (!credentials || credentials.token === "") return { gitArgs: [], env: {} };
  const script = join(dir, "askpass.sh");
  await mkdir(dir, { recursive: true });
  await writeFile(script, ASKPASS_SCRIPT, { mode: 0o700 });
  await chmod(script, 0o700);
  return {
    gitArgs: ["-c", "credential.helper="],
    env: { GIT_ASKPASS: script, PUSHPALS_GIT_USERNAME: credentials.username, PUSHPALS_GIT_TOKEN: credentials.token },
  };
}

/** Replaces every occurrence of the secret in text that may be logged or returned. */
export function redact(text: string, secret: string): string {
  return secret.length >= 4 ? text.split(secret).join("[redacted]") : text;
}
