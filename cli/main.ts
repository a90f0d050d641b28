import { reportEnvironScrub, scrubSecretEnviron } from "../shared/secret-environ.js";
import { clientCommandLoaders } from "./client/command-loaders.js";

// Before anything else reads or copies the environment: keys and tokens must not stay readable
// in /proc/<pid>/environ, where the process driver's commands (same user) would find them.
const environScrub = scrubSecretEnviron();

type Command = (args: string[]) => Promise<void>;

/**
 * Commands load on demand: the terminal client should not pay for the store,
 * the supervisor and the sandboxes that `up`, `serve` and `demo` bring in.
 */
const commands: Record<string, () => Promise<Command>> = {
  demo: async () => (await import("./demo/demo-command.js")).demoCommand,
  up: async () => (await import("./commands/up.js")).upCommand,
  serve: async () => (await import("./commands/serve.js")).serveCommand,
  doctor: async () => (await import("./doctor/doctor-command.js")).doctorCommand,
  completion: async () => (await import("./completion/completion-command.js")).completionCommand,
  ...clientCommandLoaders,
};

/** Commands that run services, and so log (the terminal client keeps stderr for people). */
const SERVICE_COMMANDS = new Set(["up", "serve", "demo"]);

async function usage(): Promise<string> {
  const { COMMAND_SYNOPSES } = await import("./command-synopses.js");
  const lines = COMMAND_SYNOPSES.concat(["pushpals help", "pushpals --version"]);
  return `pushpals — an AI coding helper around a git repository

Commands:
${lines.map((line) => `  ${line}`).join("\n")}

Every command takes --log-format pretty|json (PUSHPALS_LOG_FORMAT; default: pretty on a terminal).
Run \`pushpals <command> --help\` for a command's options.`;
}

async function main(argv: string[]): Promise<void> {
  // Imported here, not above: a static import would run before the scrub.
  const [{ takeLogFormat }, { warnOfUnknownVariables }, { versionLine }] = await Promise.all([
    import("./startup/log-format-flag.js"),
    import("./startup/unknown-variables-warning.js"),
    import("./startup/version.js"),
  ]);
  const taken = takeLogFormat(argv, process.env);
  if ("problem" in taken) {
    process.stderr.write(`pushpals: ${taken.problem}\n`);
    process.exit(2);
  }
  const [name, ...args] = taken.args;
  if (name === "--version" || name === "-V" || name === "version") {
    process.stdout.write(`${versionLine()}\n`);
    return;
  }
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(`${await usage()}\n`);
    return;
  }
  // completion's output is sourced by a shell: a warning there would be run as a command.
  if (name !== "completion") warnOfUnknownVariables(process.env);
  const load = commands[name];
  if (!load) {
    process.stderr.write(`pushpals: unknown command "${name}"\n\n${await usage()}\n`);
    process.exit(2);
  }
  if (SERVICE_COMMANDS.has(name)) reportEnvironScrub(environScrub, (await import("../shared/log.js")).createLogger());
  await (await load())(args);
}

main(process.argv.slice(2)).catch(async (error: unknown) => {
  const { fatalErrorText } = await import("./startup/fatal-error.js");
  process.stderr.write(`${fatalErrorText(error)}\n`);
  process.exit(1);
});
