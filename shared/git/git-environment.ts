import { isSecretVariable } from "../secret-environ.js";
import { SAFE_ENVIRONMENT } from "./safe-config.js";

/**
 * The environment a host git runs with. Whatever git runs (a remote helper, ssh, the operator's
 * credential helper) inherits it, and a command in an unisolated sandbox can read a running git's
 * /proc/<pid>/environ, so it holds none of the process's secrets: git needs none of them, and the
 * one credential it does need (the push token for GIT_ASKPASS) is added by that one call.
 */

/** Look like secrets, but are what ssh needs to reach the operator's agent (the key never leaves it). */
const NOT_SECRET = new Set(["SSH_AUTH_SOCK"]);
/** git reaches HTTPS remotes through these; their credentials are the proxy's, meant for git. */
const PROXY_NAME = /^(https?|all|no)_proxy$/i;

/**
 * The GIT_* variables of the operator's environment that are kept: how to reach remotes (ssh,
 * TLS, HTTP), where git and its global config live, and tracing. Every other GIT_* variable is
 * state that would point git at another repository, index, object store, config or identity
 * than the one asked for (GIT_DIR, GIT_INDEX_FILE, GIT_CONFIG_PARAMETERS, GIT_AUTHOR_NAME, …),
 * or a program to run (GIT_ASKPASS, GIT_EXTERNAL_DIFF, GIT_EDITOR), and is removed.
 */
const KEPT_GIT_VARIABLES = new Set([
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_SSH_VARIANT",
  "GIT_PROXY_COMMAND",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "GIT_SSL_NO_VERIFY",
  "GIT_HTTP_USER_AGENT",
  "GIT_HTTP_LOW_SPEED_LIMIT",
  "GIT_HTTP_LOW_SPEED_TIME",
  "GIT_ALLOW_PROTOCOL",
  "GIT_EXEC_PATH",
  "GIT_CONFIG_GLOBAL",
  "GIT_CONFIG_SYSTEM",
  "GIT_CONFIG_NOSYSTEM",
  "GIT_CURL_VERBOSE",
  "GIT_REDACT_COOKIES",
]);

/** Whether a variable of the process's environment looks like a secret that git must not see. */
export function looksSecret(name: string, value: string): boolean {
  if (NOT_SECRET.has(name)) return false;
  if (name.startsWith("PUSHPALS_")) return true;
  // A proxy's URL carries the credentials git needs to reach the remote through it: judged by name only.
  return PROXY_NAME.test(name) ? isSecretVariable(name) : isSecretVariable(name, value);
}

function keptGitVariable(name: string): boolean {
  return !name.startsWith("GIT_") || KEPT_GIT_VARIABLES.has(name) || name.startsWith("GIT_TRACE");
}

/**
 * The process's environment without secrets and git state, with PushPals' settings: C locale
 * (messages are parsed), no prompts, no pager or editor; then `extra`, this call's own
 * variables (identity, askpass), which are not filtered.
 */
export function hostGitEnvironment(extra: Readonly<Record<string, string>> = {}, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(from)) {
    if (value === undefined || !keptGitVariable(name) || looksSecret(name, value)) continue;
    env[name] = value;
  }
  delete env.LANGUAGE; // would override LC_ALL for git's translated messages
  return { ...env, ...SAFE_ENVIRONMENT, ...extra };
}
