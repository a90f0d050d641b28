import type { Collector } from "./collector.js";
import { failingCommands } from "./failing-command.js";

/** Lint and type-check commands (autonomy.commands.lint) on the base branch. */
export const lintErrors: Collector = {
  kind: "lint",
  collect: (context) => failingCommands("lint", context.config.commands.lint, context, (name) => `"${name}" reports errors`),
};
