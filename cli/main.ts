import { clientCommands, clientUsageLines } from "./client/commands.js";
import { demoCommand, demoUsage } from "./demo/demo-command.js";
import { serveCommand, serveUsage } from "./commands/serve.js";
import { upCommand, upUsage } from "./commands/up.js";

const USAGE = `pushpals — an AI coding helper around a git repository

Commands:
  ${demoUsage.split("\n")[0]}
  ${upUsage.split("\n")[0]}
  ${serveUsage.split("\n")[0]}
${clientUsageLines.map((line) => `  ${line}`).join("\n")}
  pushpals help

Run \`pushpals <command> --help\` for a command's options.`;

const commands: Record<string, (args: string[]) => Promise<void>> = {
  demo: demoCommand,
  up: upCommand,
  serve: serveCommand,
  ...clientCommands,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`pushpals: unknown command "${name}"\n\n${USAGE}\n`);
    process.exit(2);
  }
  await command(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`pushpals: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
