import type { AgentPrompts } from "./prompts.js";
import type { ClippedText } from "./bounded-text.js";
import { joinClipped } from "./bounded-text.js";
import { GIVE_UP_SENTINEL, SUBMIT_SENTINEL } from "./agent-types.js";
import type { CommandResult } from "./environment.js";
import type { ValidationCheck } from "./validation.js";

/** The limits note shows up once this few replies are left. */
const FEW_STEPS_LEFT = 2;

interface Ran {
  exitCode: number;
  timedOut: boolean;
  output: ClippedText;
  /** Summary lines of the whole output, when they were looked for (validation steps). */
  summary?: readonly string[];
}

/**
 * The notes before an output: it timed out, it was cut in the middle, and then the summary lines
 * that the cut would hide (when the whole output shows, they are in it); each on its own lines.
 */
function notes(prompts: AgentPrompts, ran: Ran, timeoutMs: number): string {
  const parts: string[] = [];
  if (ran.timedOut) parts.push(prompts.render("timeout", { timeout_seconds: timeoutMs / 1000, exit_code: ran.exitCode }));
  if (ran.output.elidedChars > 0) {
    parts.push(prompts.render("output-truncated", { total_chars: ran.output.totalChars, elided_chars: ran.output.elidedChars }));
    if (ran.summary && ran.summary.length > 0) parts.push(prompts.render("summary-lines", { lines: ran.summary.join("\n") }));
  }
  return parts.map((part) => `${part}\n`).join("");
}

/** What the model reads after its command ran. */
export function observationMessage(prompts: AgentPrompts, result: CommandResult, timeoutMs: number, steps: { left: number; max: number }): string {
  const observation = prompts.render("observation", {
    exit_code: result.exitCode,
    notes: notes(prompts, result, timeoutMs),
    output: joinClipped(result.output),
  });
  if (steps.left > FEW_STEPS_LEFT || steps.left === 0) return observation;
  return `${observation}\n${prompts.render("limits", { steps_left: steps.left, max_steps: steps.max, sentinel: SUBMIT_SENTINEL })}`;
}

/** What the model reads when its submission failed validation. */
export function validationFailedMessage(prompts: AgentPrompts, failures: readonly ValidationCheck[], round: { number: number; max: number }, timeoutMs: number): string {
  return prompts.render("validation-failed", {
    round: round.number,
    max_rounds: round.max,
    failures: validationFailuresText(prompts, failures, timeoutMs),
    sentinel: SUBMIT_SENTINEL,
    give_up_sentinel: GIVE_UP_SENTINEL,
  });
}

/** Each failing validation step with its exit code and output, for either backend's revision prompt. */
export function validationFailuresText(prompts: AgentPrompts, failures: readonly ValidationCheck[], timeoutMs: number): string {
  return failures
    .map((check) =>
      prompts.render("validation-failure", {
        command: check.command,
        exit_code: check.exitCode,
        notes: notes(prompts, check, timeoutMs),
        output: joinClipped(check.output),
      }),
    )
    .join("\n\n");
}
