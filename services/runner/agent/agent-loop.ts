import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { AgentStepSchema, TokenUsageSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { errorMessage } from "../../../shared/errors.js";
import { silentLogger } from "../../../shared/log.js";
import type { Model, ModelReply } from "../../../shared/llm/model.js";
import { ASK_SENTINEL, GIVE_UP_SENTINEL, SUBMIT_SENTINEL, type AgentOutcome, type AgentRun } from "./agent-types.js";
import { clipText, joinClipped } from "./bounded-text.js";
import { startBudget } from "./budget.js";
import { checkAgentRun } from "./check-run.js";
import { AgentCrashed, AgentStopped, FormatError, GaveUp, Submitted } from "./control-flow.js";
import { sandboxEnvironment } from "./environment.js";
import { observationMessage, validationFailedMessage } from "./observations.js";
import { failedOutcome, submittedOutcome, validationFailed } from "./outcome.js";
import { parseAction } from "./parse-action.js";
import { personInTheLoop } from "./person-in-the-loop.js";
import { loadAgentPrompts, type AgentPrompts } from "./prompts.js";
import { taskText } from "./task-text.js";
import { recordTrajectory, type TrajectoryStep } from "./trajectory.js";
import { validateSubmission } from "./validation.js";
import { ModelRole } from "../../../gen/pushpals/v1/kinds_pb.js";

export interface BuiltinAgentOptions extends AgentRun {
  model: Model;
  /** Default: the files under prompts/agent. */
  prompts?: AgentPrompts;
}

/** How much of a refused (too long) reply stays in the conversation and the trajectory. */
const REFUSED_REPLY_KEPT_CHARS = 2000;

/**
 * The builtin coding agent, after mini-swe-agent: run = loop of step, step = execute(query()).
 * Limits are checked before each model call; a step ends by returning (the observation is in the
 * conversation) or by throwing FormatError (its message goes back), Submitted (validation decides)
 * or AgentStopped (the run is over; GaveUp is one, so giving up spends no validation round).
 * Anything else is unexpected and re-raised as AgentCrashed.
 */
export async function runAgent(options: BuiltinAgentOptions): Promise<AgentOutcome> {
  const run = checkAgentRun(options);
  const { model, sandbox, task, limits, reporter, maxValidationRounds } = run;
  const logger = (run.logger ?? silentLogger).child({ component: "agent", backend: "builtin" });
  const prompts = run.prompts ?? (await loadAgentPrompts());
  const budget = startBudget(limits, run.signal);
  const trajectory = recordTrajectory({ backend: "builtin", model: model.model, limits, maxValidationRounds, task, usage: budget.usage });
  const person = personInTheLoop({ conversation: run.conversation, budget, trajectory, prompts, reporter });
  const environment = sandboxEnvironment(sandbox, { timeoutMs: limits.commandTimeoutMs, maxOutputChars: limits.maxOutputChars, log: (line) => reporter.log(line) });

  trajectory.say("system", prompts.render("system", { workdir: sandbox.workdir, command_timeout_seconds: limits.commandTimeoutMs / 1000 }));
  trajectory.say(
    "user",
    prompts.render("instance", { ...taskText(task), max_steps: limits.maxSteps, sentinel: SUBMIT_SENTINEL, give_up_sentinel: GIVE_UP_SENTINEL, ask_sentinel: ASK_SENTINEL }),
  );
  logger.info({ maxSteps: limits.maxSteps, maxTokens: limits.maxTokens, wallTimeMs: limits.wallTimeMs }, "agent started");
  let round = 1;
  try {
    for (;;) {
      try {
        await step();
      } catch (error) {
        if (error instanceof FormatError) {
          trajectory.say("user", error.message);
        } else if (error instanceof Submitted) {
          const validation = await validateSubmission(run, budget, trajectory, round);
          if (validation.passed) return finish(submittedOutcome(trajectory, budget, error.summary, round));
          if (round > maxValidationRounds) throw validationFailed(validation);
          const failures = validation.checks.filter((check) => !check.passed);
          trajectory.say("user", validationFailedMessage(prompts, failures, { number: round, max: maxValidationRounds + 1 }, limits.validationTimeoutMs));
          round += 1;
        } else {
          throw error;
        }
      }
    }
  } catch (error) {
    if (error instanceof AgentStopped) return finish(failedOutcome(trajectory, budget, error));
    logger.error({ err: error, step: budget.steps }, "agent loop failed unexpectedly");
    trajectory.finish({ status: "crashed", message: errorMessage(error) });
    throw new AgentCrashed(error, trajectory.snapshot());
  } finally {
    budget.dispose();
  }

  async function step(): Promise<void> {
    await person.beforeStep();
    const { number, reply, record } = await query();
    const action = parseAction(reply.text, limits.maxReplyChars);
    if (!action.ok) {
      await recordStep({ ...record, thought: action.thought, formatError: action.problem });
      throw new FormatError(prompts.render("format-error", { problem: action.problem, sentinel: SUBMIT_SENTINEL }));
    }
    await reporter.log(`step ${number}: $ ${action.command}`);
    const refused = await approveCommand(action.command, number);
    if (refused !== undefined) {
      await reporter.log(`step ${number}: not run: ${refused}`);
      await recordStep({ ...record, thought: action.thought, command: action.command, refused });
      trajectory.say("user", prompts.render("command-refused", { reason: refused }));
      return;
    }
    const result = await environment.execute(action.command, budget.signal);
    await reporter.log(`step ${number}: ${result.timedOut ? "timed out, " : ""}exit code ${result.exitCode} after ${result.durationMs} ms`);
    await recordStep({
      ...record,
      thought: action.thought,
      command: action.command,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      cancelled: result.cancelled,
      commandMs: result.durationMs,
      output: joinClipped(result.output),
      outputChars: result.output.totalChars,
      submitted: result.submission !== undefined,
      ...(result.giveUp !== undefined ? { gaveUp: true } : {}),
      ...(result.question !== undefined ? { asked: result.question } : {}),
    });
    budget.throwIfStopped();
    if (result.submission !== undefined) throw new Submitted(result.submission);
    if (result.giveUp !== undefined) {
      const reason = giveUpReason(result.giveUp, action.thought);
      await reporter.log(`the agent gave up: ${reason}`);
      throw new GaveUp(number, reason);
    }
    if (result.question !== undefined) return person.ask(result.question, number);
    trajectory.say("user", observationMessage(prompts, result, limits.commandTimeoutMs, { left: budget.stepsLeft(), max: limits.maxSteps }));
  }

  /** The person's or the operator's say before a command runs; the budget clock stops while a person decides. */
  async function approveCommand(command: string, step: number): Promise<string | undefined> {
    if (!run.conversation?.approveCommand) return undefined;
    budget.hold();
    try {
      return await run.conversation.approveCommand(command, step, budget.signal);
    } finally {
      budget.release();
    }
  }

  async function query(): Promise<{ number: number; reply: ModelReply; record: Omit<TrajectoryStep, "thought"> }> {
    const number = budget.beginStep();
    const startedAt = new Date();
    let reply: ModelReply;
    try {
      reply = await model.complete(trajectory.messages, { signal: budget.signal, logger });
    } catch (error) {
      budget.throwIfStopped();
      if (error instanceof ConnectError) throw new AgentStopped("model_error", `the model call of step ${number} failed: ${error.rawMessage}`);
      throw error;
    }
    budget.charge(reply.usage);
    const usage = { promptTokens: BigInt(reply.usage.promptTokens), completionTokens: BigInt(reply.usage.completionTokens) };
    await reporter.usage(create(TokenUsageSchema, { role: ModelRole.AGENT, model: model.model, ...usage }));
    const tooLong = reply.text.length > limits.maxReplyChars;
    trajectory.say("assistant", tooLong ? joinClipped(clipText(reply.text, REFUSED_REPLY_KEPT_CHARS)) : reply.text);
    const record = { step: number, startedAt: startedAt.toISOString(), modelMs: Date.now() - startedAt.getTime(), usage: reply.usage };
    return { number, reply, record };
  }

  async function recordStep(record: TrajectoryStep): Promise<void> {
    trajectory.step(record);
    await reporter.step(
      create(AgentStepSchema, {
        step: record.step,
        thought: record.thought,
        command: record.command ?? "",
        exitCode: record.exitCode ?? 0,
        output: record.output ?? record.formatError ?? "",
        formatError: record.formatError !== undefined,
      }),
    );
  }

  function finish(outcome: AgentOutcome): AgentOutcome {
    const detail = outcome.status === "submitted" ? { summary: outcome.summary } : { reason: outcome.reason, message: outcome.message };
    logger.info({ status: outcome.status, steps: outcome.steps, ...outcome.usage, ...detail }, "agent finished");
    return outcome;
  }
}

/** The words after the give-up sentinel; when there are none, the reply's reasoning says why. */
function giveUpReason(words: string, thought: string): string {
  return words || thought.replace(/^THOUGHT:\s*/i, "").trim() || "it gave no reason";
}
