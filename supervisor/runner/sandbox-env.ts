import type { Logger } from "../../services/kernel/log.js";

/** Names that hold secrets by convention; they stay out even when someone allow-lists them. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;

/**
 * The whole environment a job's sandbox sees: the variables on supervisor.envAllowList that are
 * set here, and nothing else, so model keys, push tokens and git credentials of the runner never
 * reach a command.
 */
export function sandboxEnv(allowList: readonly string[], logger: Logger, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of allowList) {
    if (SECRET_NAME.test(name)) {
      logger.warn({ variable: name }, `supervisor.envAllowList names ${name}, which looks like a secret; it is not passed into sandboxes`);
      continue;
    }
    const value = env[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}
