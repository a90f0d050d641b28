import type { ExecOptions, Sandbox } from "../../../sandbox/driver.js";
import { boundedText, joinClipped, type ClippedText } from "./bounded-text.js";
import { liveLines } from "./live-lines.js";
import { ASK_SENTINEL, GIVE_UP_SENTINEL, SUBMIT_SENTINEL, sentinelWords } from "./sentinels.js";

/** A command's failure is data for the model: its output, exit code and whether it was killed. */
export interface CommandResult {
  command: string;
  /** stdout and stderr in the order they arrived, head and tail kept. */
  output: ClippedText;
  exitCode: number;
  timedOut: boolean;
  /** Killed because the run was cancelled or ran out of wall time. */
  cancelled: boolean;
  durationMs: number;
  /** The agent's summary, when the first line of stdout was the submit sentinel. */
  submission?: string;
  /** Why the agent gave up ("" when it did not say), when the first line of stdout was the give-up sentinel. */
  giveUp?: string;
  /** The agent's question for the person, when the first line of stdout was the ask sentinel. */
  question?: string;
}

/** Where the agent's commands run; small on purpose, like mini-swe-agent's Environment. */
export interface AgentEnvironment {
  /** `extra` overrides the configured timeout, or adds stdin and variables for this command. */
  execute(command: string, signal: AbortSignal, extra?: Pick<ExecOptions, "timeoutMs" | "stdin" | "env">): Promise<CommandResult>;
}

export interface EnvironmentConfig {
  /** Per command; none means only the signal stops it. */
  timeoutMs?: number;
  maxOutputChars: number;
  /** Each output line as it arrives, for the job's live log. */
  log(line: string): Promise<void> | void;
}

export function sandboxEnvironment(sandbox: Sandbox, config: EnvironmentConfig): AgentEnvironment {
  return {
    async execute(command, signal, extra = {}) {
      const execution = sandbox.exec(command, { timeoutMs: config.timeoutMs, ...extra, signal });
      const combined = boundedText(config.maxOutputChars);
      const stdout = boundedText(config.maxOutputChars);
      const live = liveLines(config.maxOutputChars);
      for await (const chunk of execution.output) {
        combined.append(chunk.data);
        if (chunk.stream === "stdout") stdout.append(chunk.data);
        for (const line of live.push(chunk)) await config.log(line);
      }
      for (const line of live.flush()) await config.log(line);
      const result = await execution.result;
      return { command, output: combined.result(), ...result, ...endOf(stdout.result()) };
    },
  };
}

/**
 * The environment, not the model, decides the run is over: it sees a sentinel as stdout's first
 * line, the submit sentinel (validation decides) or the give-up sentinel (the run fails); the ask
 * sentinel with no question is no question.
 */
function endOf(stdout: ClippedText): Pick<CommandResult, "submission" | "giveUp" | "question"> {
  const text = joinClipped(stdout);
  const submission = sentinelWords(text, SUBMIT_SENTINEL);
  if (submission !== undefined) return { submission };
  const giveUp = sentinelWords(text, GIVE_UP_SENTINEL);
  if (giveUp !== undefined) return { giveUp };
  const question = sentinelWords(text, ASK_SENTINEL);
  return question ? { question } : {};
}
