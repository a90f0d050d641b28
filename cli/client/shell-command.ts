import { createInterface } from "node:readline";
import { errorMessage } from "../../shared/errors.js";
import { clientCommand } from "./client-command.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { jobIdArgument } from "./job-id-argument.js";
import { personName } from "./person-name.js";
import { rpcFailure } from "./rpc-failure.js";
import { styleFor } from "./style.js";

export const shellUsage = `pushpals shell <job-id> [--timeout SECONDS] [--server URL]

Runs your commands in a paused job's sandbox, in its worktree, one line at a time
(sh -c; each is audited in the session). Ctrl-D or exit leaves; then pushpals resume
<job-id> [--finish]. Pause the job first: pushpals pause <job-id>.`;

const LEAVE = new Set(["exit", "logout", "/quit"]);
/** The call waits for the runner's answer: the command's own timeout and some grace. */
const CALL_GRACE_MS = 45_000;

export const shellCommand = clientCommand({
  name: "shell",
  usage: shellUsage,
  options: { timeout: { type: "string" } },
  positionals: [1, 1],
  async run({ values, positionals, server }) {
    const jobId = jobIdArgument(positionals[0]);
    const timeoutSeconds = values.timeout === undefined ? 60 : Number(values.timeout);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 3600)
      throw new Error(`--timeout must be a whole number of seconds from 1 to 3600, not "${values.timeout}"`);
    const style = styleFor(process.stdout);
    const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal, prompt: style.bold(`${jobId}$ `) });
    process.stdout.write(`${style.dim(`commands run in job ${jobId}'s sandbox; Ctrl-D or exit to leave, then pushpals resume ${jobId}`)}\n`);
    let exitCode: ExitCode = EXIT.ok;
    if (terminal) rl.prompt();
    for await (const line of rl) {
      const command = line.trim();
      if (LEAVE.has(command)) break;
      if (command) {
        try {
          const result = await server.clients.execution.runInJob({ jobId, command, author: personName(), timeoutSeconds }, { timeoutMs: timeoutSeconds * 1000 + CALL_GRACE_MS });
          if (result.output) process.stdout.write(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
          if (result.exitCode !== 0 || result.timedOut) process.stdout.write(`${style.warn(`exit ${result.exitCode}${result.timedOut ? " (timed out)" : ""}`)}\n`);
        } catch (error) {
          const failure = rpcFailure(error, server.url);
          process.stdout.write(`${style.bad(`✗ ${failure?.message ?? errorMessage(error)}`)}\n`);
          exitCode = EXIT.failed;
        }
      }
      if (terminal) rl.prompt();
    }
    rl.close();
    return exitCode;
  },
});
