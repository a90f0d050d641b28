/** How log records are written: pretty lines for a person at a terminal, JSON lines for machines. */
export type LogFormat = "pretty" | "json";

export const LOG_FORMATS: readonly LogFormat[] = ["pretty", "json"];

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/**
 * PUSHPALS_LOG_FORMAT when it names a format (the CLI rejects any other value at start-up,
 * and `--log-format` sets it), else pretty exactly when stderr is a terminal: a pipe, a file
 * or a log collector gets JSON.
 */
export function chosenLogFormat(env: NodeJS.ProcessEnv = process.env, stderrIsTerminal = Boolean(process.stderr.isTTY)): LogFormat {
  const wanted = env.PUSHPALS_LOG_FORMAT;
  if (wanted !== undefined && isLogFormat(wanted)) return wanted;
  return stderrIsTerminal ? "pretty" : "json";
}
