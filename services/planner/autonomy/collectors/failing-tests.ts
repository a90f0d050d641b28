import type { Collector } from "./collector.js";
import { failingCommands } from "./failing-command.js";

/** The configured checks (autonomy.commands.checks), run on the base branch: a failing test is work to do. */
export const failingTests: Collector = {
  kind: "failing_test",
  collect: (context) => failingCommands("failing_test", context.config.commands.checks, context, (name) => `check "${name}" fails`),
};
