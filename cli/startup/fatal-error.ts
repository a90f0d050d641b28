import { errorMessage } from "../../shared/errors.js";

/**
 * What main prints when a command throws something nobody handled: one line, and the stack
 * trace only when asked for (a person starting PushPals needs the reason, not the frames).
 */
export function fatalErrorText(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const debug = env.PUSHPALS_LOG_LEVEL === "debug" || env.PUSHPALS_LOG_LEVEL === "trace";
  if (debug && error instanceof Error && error.stack) return `pushpals: ${error.stack}`;
  const message = errorMessage(error).split("\n")[0];
  return `pushpals: ${message} (run again with PUSHPALS_LOG_LEVEL=debug for the stack trace; if it looks like a bug, report it with that output)`;
}
