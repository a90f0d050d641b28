import type { Logger } from "../../shared/log.js";
import { isSecretVariable } from "../../shared/secret-environ.js";

/**
 * The whole environment a job's sandbox sees: the variables on runner.envAllowList that are
 * set here, and nothing else, so model keys, push tokens and git credentials of the runner never
 * reach a command. A secret (by name, or a URL value with credentials) stays out even when someone
 * allow-lists it.
 */
export function sandboxEnv(allowList: readonly string[], logger: Logger, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of allowList) {
    const value = env[name];
    if (isSecretVariable(name, value)) {
      logger.warn({ variable: name }, `runner.envAllowList names ${name}, which holds a secret; it is not passed into sandboxes (remove it from the list)`);
      continue;
    }
    if (value !== undefined) result[name] = value;
  }
  return result;
}
