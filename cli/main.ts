import { reportEnvironScrub, scrubSecretEnviron } from "../services/kernel/secret-environ.js";

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
  ...Object.fromEntries(
    ["chat", "status", "jobs", "logs", "cancel", "sessions", "approvals", "approve", "deny"].map((name) => [
      name,
      async () => (await import("./client/commands.js")).clientCommands[name]!,
    ]),
  ),
};

/** Commands that run services, and so log (the terminal client keeps stderr for people). */
const SERVICE_COMMANDS = new Set(["up", "serve", "demo"]);

async function usage(): Promise<string> {
  const [{ demoUsage }, { upUsage }, { serveUsage }, { clientUsageLines }] = await Promise.all([
    import("./demo/demo-command.js"),
    import("./commands/up.js"),
    import("./commands/serve.js"),
    import("./client/commands.js"),
  ]);
  const lines = [demoUsage, upUsage, serveUsage].map((text) => text.split("\n")[0] ?? "").concat(clientUsageLines, ["pushpals help"]);
  return `pushpals — an AI coding helper around a git repository

Commands:
${lines.map((line) => `  ${line}`).join("\n")}

Run \`pushpals <command> --help\` for a command's options.`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(`${await usage()}\n`);
    return;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`pushpals: unknown command "${name}"\n\n${await usage()}\n`);
    process.exit(2);
  }
  if (SERVICE_COMMANDS.has(name)) reportEnvironScrub(environScrub, (await import("../services/kernel/log.js")).createLogger());
  await (await load())(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`pushpals: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
