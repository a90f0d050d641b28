import type { AgentConversation, AgentReporter, EarlierTurn } from "./agent-types.js";
import type { Budget } from "./budget.js";
import { Submitted } from "./control-flow.js";
import type { AgentPrompts } from "./prompts.js";

export interface PersonInTheLoop {
  /** Before each model call: waits out a pause (or finishes the run) and hands the agent the person's follow-ups. */
  beforeStep(): Promise<void>;
  /** The agent asked: waits for the answer, which becomes the next user message. */
  ask(question: string, step: number): Promise<void>;
}

/**
 * Where the agent loop meets the person in the session. Waiting on the person stops the budget's
 * wall clock; a cancel still ends the wait at once (the budget's signal). Without a conversation
 * (a run nobody follows) a question is answered by the no-person prompt and nothing else happens.
 */
export function personInTheLoop(options: {
  conversation: AgentConversation | undefined;
  budget: Budget;
  trajectory: { say(role: "user", content: string): void };
  prompts: AgentPrompts;
  reporter: AgentReporter;
}): PersonInTheLoop {
  const { conversation, budget, trajectory, prompts, reporter } = options;
  let started = false;
  const waiting = async <T>(wait: () => Promise<T>): Promise<T> => {
    budget.hold();
    try {
      return await wait();
    } finally {
      budget.release();
      budget.throwIfStopped();
    }
  };
  return {
    async beforeStep() {
      if (!conversation) return;
      if (!started) {
        started = true;
        const turns = conversation.earlier ? await waiting(() => conversation.earlier!(budget.signal)) : [];
        if (turns.length > 0) {
          await reporter.log(`an earlier attempt of this job talked with the person (${turns.length} turns); the agent starts with that conversation`);
          trajectory.say("user", prompts.render("person-earlier", { conversation: earlierConversationText(turns) }));
        }
      }
      if (conversation.isPaused()) {
        await reporter.log("paused by a person: the agent waits (pushpals shell runs commands in the sandbox meanwhile)");
        const end = await waiting(() => conversation.waitWhilePaused(budget.signal));
        await reporter.log(end.finish ? `${end.author || "a person"} finished the job with what is in the worktree` : `${end.author || "a person"} resumed the agent`);
        if (end.finish) throw new Submitted(`finished by ${end.author || "a person"} with what is in the worktree`);
      }
      for (const message of conversation.take()) {
        trajectory.say("user", prompts.render("person-follow-up", { author: message.author || "the person", text: message.text }));
      }
    },
    async ask(question, step) {
      if (!conversation) {
        trajectory.say("user", prompts.render("no-person", { question }));
        return;
      }
      await reporter.log(`the agent asks the person: ${question}`);
      const answer = await waiting(() => conversation.ask(question, step, budget.signal));
      await reporter.log(`${answer.author || "the person"} answered`);
      trajectory.say("user", prompts.render("person-answer", { author: answer.author || "the person", question, answer: answer.text }));
    },
  };
}

/** The earlier attempts' turns as the agent reads them, one paragraph each. */
export function earlierConversationText(turns: readonly EarlierTurn[]): string {
  return turns
    .map((turn) => {
      if (turn.kind === "question") return `You asked the person: ${turn.text}`;
      if (turn.kind === "answer") return `${turn.author || "The person"} answered: ${turn.text}`;
      return `${turn.author || "The person"} sent you this message: ${turn.text}`;
    })
    .join("\n\n");
}
