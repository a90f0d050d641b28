import { invalidArgument } from "../../shared/errors.js";

/** How chat answers a message: at once (help, status), through the chat model (/ask), or as a request for the planner. */
export type MessageKind = { kind: "help" } | { kind: "status" } | { kind: "ask"; question: string } | { kind: "request" };

/** Status questions are short; a longer message that mentions "status" is an ask for work. */
const MAX_STATUS_CHARS = 100;

const HELP = [/^help$/, /^\?$/, /^what can you do$/, /^how do i use (this|you|pushpals)$/];

const STATUS = [
  /^(status|queue|jobs)$/,
  /^(what'?s|what is|whats) (running|going on|happening|the status|in the queue)\b/,
  /^(where|how far along) (is|are) my (request|job|task)s?\b/,
  /^(when|how long)\b.*\bmy (request|job|task)s?\b/,
  /\b(eta|queue position|position in (the )?queue)\b/,
  /^(what was|what'?s|whats|show( me)?|when was) the (last|latest) merge\b/,
];

const COMMANDS = "/help, /status and /ask <question>";

/**
 * The rules, kept few and literal so a person can predict them: slash commands first, then
 * short messages that are plainly help or status questions; everything else is a request.
 */
export function classifyMessage(text: string): MessageKind {
  const trimmed = text.trim();
  const command = /^\/([a-z]+)\b\s*([\s\S]*)$/i.exec(trimmed);
  if (command) {
    const [, name = "", rest = ""] = command;
    switch (name.toLowerCase()) {
      case "help":
        return { kind: "help" };
      case "status":
        return { kind: "status" };
      case "ask":
        if (rest.trim() === "") throw invalidArgument("text", `/ask needs a question after it, e.g. "/ask what does src/main.ts do?"`);
        return { kind: "ask", question: rest.trim() };
      default:
        throw invalidArgument("text", `/${name} is not a command; the commands are ${COMMANDS}, anything else is a request`);
    }
  }
  const plain = trimmed
    .toLowerCase()
    .replace(/[\s?!.]+$/, "")
    .replace(/\s+/g, " ");
  if (HELP.some((rule) => rule.test(plain)) || trimmed === "?") return { kind: "help" };
  if (plain.length <= MAX_STATUS_CHARS && STATUS.some((rule) => rule.test(plain))) return { kind: "status" };
  return { kind: "request" };
}
