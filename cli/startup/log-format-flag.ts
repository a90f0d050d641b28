import { isLogFormat, LOG_FORMATS } from "../../shared/log-format.js";

/**
 * Takes `--log-format pretty|json` (or `--log-format=…`) out of the arguments, wherever it
 * stands before `--`, and puts it in PUSHPALS_LOG_FORMAT, so every logger of this process
 * and of the processes it starts follows it. Checks the variable too: a misspelt format is
 * refused at start rather than silently ignored. Returns the arguments without the flag,
 * or the reason it is wrong.
 */
export function takeLogFormat(argv: string[], env: NodeJS.ProcessEnv): { args: string[] } | { problem: string } {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const inline = arg.startsWith("--log-format=") ? arg.slice("--log-format=".length) : undefined;
    if (arg !== "--log-format" && inline === undefined) {
      args.push(arg);
      continue;
    }
    const value = inline ?? argv[(i += 1)];
    if (value === undefined || !isLogFormat(value))
      return { problem: `--log-format must be ${LOG_FORMATS.join(" or ")}, got ${value === undefined ? "nothing" : JSON.stringify(value)}` };
    env.PUSHPALS_LOG_FORMAT = value;
  }
  const set = env.PUSHPALS_LOG_FORMAT;
  if (set !== undefined && !isLogFormat(set)) return { problem: `PUSHPALS_LOG_FORMAT must be ${LOG_FORMATS.join(" or ")}, got ${JSON.stringify(set)}; fix or unset it` };
  return { args };
}
