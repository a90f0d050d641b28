import { basename } from "node:path";
import { ConnectError } from "@connectrpc/connect";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Model } from "../../shared/llm/model.js";
import type { Logger } from "../../shared/log.js";
import { errorEvent, tokenUsageEvent } from "./chat-events.js";
import type { ChatPrompts } from "./chat-prompts.js";

export interface AskDeps {
  model: Model;
  prompts: ChatPrompts;
  repoPath: string;
  baseBranch: string;
}

export interface Answer {
  text: string;
  /** Usage, or the error, to record beside the answer. */
  events: Event[];
}

const MAX_ANSWER_TOKENS = 1024;
const MAX_ANSWER_CHARS = 16_000;

/**
 * `/ask`: one call to the chat model, answered in the chat. A model that cannot be called
 * (not configured, unreachable) is an answer too — saying what to set or check — because the
 * person's message is already recorded and they are waiting in the chat for a reply.
 */
export async function answerQuestion(deps: AskDeps, question: string, signal: AbortSignal, logger: Logger): Promise<Answer> {
  const system = deps.prompts.render("ask", { repo_name: basename(deps.repoPath) || deps.repoPath, base_branch: deps.baseBranch });
  try {
    const reply = await deps.model.complete(
      [
        { role: "system", content: system },
        { role: "user", content: question },
      ],
      { signal, logger, maxTokens: MAX_ANSWER_TOKENS },
    );
    const usage = tokenUsageEvent(deps.model.model, reply.usage);
    const text = reply.text.trim();
    if (text === "") return { text: "The model sent an empty answer; ask again, perhaps in other words.", events: [usage] };
    const cut = reply.finishReason === "length" ? "\n(The answer was cut off at the token limit.)" : "";
    const shown = text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}\n… (${text.length - MAX_ANSWER_CHARS} more characters not shown)` : text;
    return { text: shown + cut, events: [usage] };
  } catch (error) {
    if (signal.aborted || !(error instanceof ConnectError)) throw error;
    logger.warn({ err: error.rawMessage, code: error.code }, "/ask: the chat model could not answer");
    return {
      text: `I could not ask the model: ${error.rawMessage}`,
      events: [errorEvent(error.code, error.rawMessage, "fix the chat model settings named in the message, then /ask again")],
    };
  }
}
