import { create } from "@bufbuild/protobuf";
import { AgentStepSchema, TokenUsageSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { errorMessage, invalidArgument } from "../../../shared/errors.js";
import { silentLogger } from "../../../shared/log.js";
import type { AgentOutcome, AgentRun } from "./agent-types.js";
import { joinClipped, lastChars } from "./bounded-text.js";
import { startBudget } from "./budget.js";
import { checkAgentRun } from "./check-run.js";
import { checkCommandTemplate, cliScript, renderCommandTemplate } from "./command-template.js";
import { cliQuestion } from "./cli-question.js";
import { AgentCrashed, AgentStopped, GaveUp, Submitted } from "./control-flow.js";
import { personInTheLoop } from "./person-in-the-loop.js";
import { ASK_SENTINEL } from "./sentinels.js";
import { sandboxEnvironment, type CommandResult } from "./environment.js";
import { openModelChannel, type ModelChannel } from "./model-channel.js";
import { validationFailuresText } from "./observations.js";
import { failedOutcome, submittedOutcome, validationFailed } from "./outcome.js";
import { loadAgentPrompts, type AgentPrompts } from "./prompts.js";
import { taskText } from "./task-text.js";
import { recordTrajectory } from "./trajectory.js";
import { validateSubmission } from "./validation.js";
import { ModelRole } from "../../../gen/pushpals/v1/kinds_pb.js";

export interface CommandBackendSettings {
  /** The CLI's command line, e.g. `mini -y -m openai/{model} -t "$(cat {instruction_file})"`. */
  template: string;
  /** Extra variables for the CLI; visible inside the sandbox, so never a secret. */
  env?: Record<string, string>;
  /**
   * The model the CLI reaches through a per-job proxy on this host that holds the key; the
   * sandbox gets only the proxy's socket (bridged to a loopback port inside) and a job token.
   * Leave out for a CLI that needs no model.
   */
  model?: { endpoint: { baseUrl: string; apiKey: string; model: string; timeoutMs: number } };
  prompts?: AgentPrompts;
}

export interface CommandAgentOptions extends AgentRun {
  settings: CommandBackendSettings;
}

/** How much of the CLI's last output becomes the summary of a successful run. */
const SUMMARY_CHARS = 1000;

/**
 * An external agent CLI (mini-swe-agent, aider, codex, ...) runs the whole task as one command in
 * the sandbox, its output streamed to the job log; exit code 0 means it believes it is done.
 * Validation then runs as for the builtin agent, and a failure runs the CLI again with the
 * failures added to its instruction, for up to maxValidationRounds more rounds.
 *
 * The person in the loop reaches a CLI between runs, since a CLI cannot be talked to while it
 * runs: a `PUSHPALS_ASK <question>` line on its output (whatever its exit code) asks the person,
 * and the CLI runs again, on the same worktree, with its instruction followed by the whole
 * conversation so far (earlier attempts' turns, each answer, each follow-up). Follow-ups that came
 * while it ran make it run again before validation; a pause holds it before its next run, and a
 * pause that finishes the job goes to validation with what is in the worktree.
 */
export async function runCommandAgent(options: CommandAgentOptions): Promise<AgentOutcome> {
  const run = checkAgentRun(options);
  const { sandbox, task, limits, reporter, maxValidationRounds, settings } = run;
  checkCommandTemplate(settings.template);
  const endpoint = settings.model?.endpoint;
  for (const [name, value] of Object.entries(settings.env ?? {})) {
    if (endpoint?.apiKey && value.includes(endpoint.apiKey)) {
      throw invalidArgument(
        `agent.command.env.${name}`,
        "holds the model API key, which must never enter a sandbox; remove it (the CLI reaches the model through the job's proxy)",
      );
    }
  }
  const logger = (run.logger ?? silentLogger).child({ component: "agent", backend: "command" });
  const prompts = settings.prompts ?? (await loadAgentPrompts());
  const modelName = endpoint?.model ?? "";
  const budget = startBudget(limits, run.signal);
  const trajectory = recordTrajectory({ backend: "command", model: modelName, limits, maxValidationRounds, task, usage: budget.usage });
  const commandLine = renderCommandTemplate(settings.template, { model: modelName, workdir: sandbox.workdir });
  const environment = sandboxEnvironment(sandbox, { maxOutputChars: limits.maxOutputChars, log: (line) => reporter.log(line) });
  let channel: ModelChannel | undefined;
  try {
    if (endpoint) {
      channel = await openModelChannel({
        sandbox,
        upstream: endpoint,
        tokensLeft: () => limits.maxTokens - budget.usage.promptTokens - budget.usage.completionTokens,
        onUsage: async (usage) => {
          budget.charge(usage);
          const tokens = { promptTokens: BigInt(usage.promptTokens), completionTokens: BigInt(usage.completionTokens) };
          await reporter.usage(create(TokenUsageSchema, { role: ModelRole.AGENT, model: modelName, ...tokens }));
        },
        say: (line) => reporter.log(line),
        signal: budget.signal,
        logger,
      });
    }
    // Ours win over the configured ones: the CLI must reach the model only through the proxy.
    const env = { ...settings.env, ...channel?.env };
    const script = cliScript(channel ? channel.wrap(commandLine) : commandLine);
    let lastOutput = "";
    let revision = "";
    /** The person's words so far, each as the builtin agent would read it; every run gets all of them. */
    const conversation: string[] = [];
    const person = personInTheLoop({ conversation: run.conversation, budget, trajectory: { say: (_role, text) => void conversation.push(text) }, prompts, reporter });
    /** False once a pause finished the job: validation takes the worktree as it stands. */
    const personSaysGoOn = async () => {
      try {
        await person.beforeStep();
        return true;
      } catch (error) {
        if (error instanceof Submitted) return false;
        throw error;
      }
    };
    for (let round = 1; ; round += 1) {
      let finishedByPerson = !(await personSaysGoOn());
      while (!finishedByPerson) {
        const number = budget.beginStep();
        const said = conversation.length > 0 ? prompts.render("command-conversation", { messages: conversation.join("\n\n---\n\n") }) : "";
        const instruction = prompts.render("command-instruction", { ...taskText(task), revision, ask_sentinel: ASK_SENTINEL, conversation: said ? `\n${said}` : "" });
        trajectory.say("user", instruction);
        await reporter.log(`agent CLI run ${number}: $ ${commandLine}`);
        const startedAt = new Date().toISOString();
        const result = await environment.execute(script, budget.signal, { stdin: instruction, env });
        await recordRun(number, startedAt, result);
        budget.throwIfStopped();
        // A wrapper around the CLI may give up as the builtin agent does; whatever its exit code.
        if (result.giveUp !== undefined) throw new GaveUp(number, result.giveUp || "the agent CLI gave no reason");
        const question = cliQuestion(joinClipped(result.output));
        if (question !== undefined) {
          await person.ask(question, number);
          finishedByPerson = !(await personSaysGoOn());
          continue;
        }
        if (result.exitCode !== 0) throw cliFailed(number, result);
        lastOutput = joinClipped(result.output);
        const heard = conversation.length;
        finishedByPerson = !(await personSaysGoOn());
        // Follow-ups that came while it ran: it runs again with them before its work is validated.
        if (conversation.length === heard) break;
      }
      const validation = await validateSubmission(run, budget, trajectory, round);
      if (validation.passed) return submittedOutcome(trajectory, budget, lastChars(lastOutput, SUMMARY_CHARS).trim() || "finished by a person with what is in the worktree", round);
      if (round > maxValidationRounds) throw validationFailed(validation);
      const failures = validationFailuresText(
        prompts,
        validation.checks.filter((check) => !check.passed),
        limits.validationTimeoutMs,
      );
      revision = `\n${prompts.render("command-revision", { round, max_rounds: maxValidationRounds + 1, failures })}`;
    }
  } catch (error) {
    if (error instanceof AgentStopped) return failedOutcome(trajectory, budget, error);
    logger.error({ err: error }, "command agent failed unexpectedly");
    trajectory.finish({ status: "crashed", message: errorMessage(error) });
    throw new AgentCrashed(error, trajectory.snapshot());
  } finally {
    await channel?.close();
    budget.dispose();
  }

  async function recordRun(number: number, startedAt: string, result: CommandResult): Promise<void> {
    const output = joinClipped(result.output);
    trajectory.step({
      step: number,
      startedAt,
      modelMs: 0,
      usage: { promptTokens: 0, completionTokens: 0 },
      thought: "",
      command: commandLine,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      cancelled: result.cancelled,
      commandMs: result.durationMs,
      output,
      outputChars: result.output.totalChars,
    });
    await reporter.step(create(AgentStepSchema, { step: number, command: commandLine, exitCode: result.exitCode, output }));
  }
}

function cliFailed(run: number, result: CommandResult): AgentStopped {
  const tail = lastChars(joinClipped(result.output).trim(), 300);
  return new AgentStopped(
    "agent_exited",
    `the agent CLI exited with code ${result.exitCode} on run ${run}${tail ? `; its output ends with: ${tail}` : " without output"}. ` +
      `Check agent.command.template and the CLI's output in the job log`,
  );
}
