import type { ScriptedReply, ScriptLine } from "./scripted-script.js";
import { oneLine } from "../../shared/text/clip.js";

/** The parts of a chat request a reply's `match` can look at. */
export interface RequestView {
  model: string;
  /** All system (and developer) messages, joined. */
  system: string;
  lastUser: string;
  hasResponseFormat: boolean;
}

export type Choice =
  | { kind: "reply"; line: ScriptLine }
  /** The reply stays queued: the client is expected to ask again without response_format. */
  | { kind: "reject-response-format"; line: ScriptLine }
  | { kind: "exhausted"; message: string };

export interface ReplyQueue {
  choose(request: RequestView): Choice;
  remaining(): number;
}

/**
 * Replies are used in script order; a reply with `match` is skipped (and kept) until a request
 * meets it, so one script can serve several roles whose calls interleave.
 */
export function replyQueue(lines: readonly ScriptLine[], source: string): ReplyQueue {
  const pending = [...lines];
  return {
    remaining: () => pending.length,
    choose(request) {
      const index = pending.findIndex((line) => matches(line.reply, request));
      const line = pending[index];
      if (!line) return { kind: "exhausted", message: exhaustedMessage(lines.length, pending.length, source, request) };
      if (line.reply.reject_response_format && request.hasResponseFormat) return { kind: "reject-response-format", line };
      pending.splice(index, 1);
      return { kind: "reply", line };
    },
  };
}

function matches(reply: ScriptedReply, request: RequestView): boolean {
  const match = reply.match;
  if (!match) return true;
  if (match.model !== undefined && match.model !== request.model) return false;
  const texts = match.role === "system" ? [request.system] : match.role === "user" ? [request.lastUser] : [request.system, request.lastUser];
  const { contains, regex } = match;
  if (contains !== undefined && !texts.some((text) => text.includes(contains))) return false;
  if (regex !== undefined && !texts.some((text) => new RegExp(regex).test(text))) return false;
  return true;
}

function exhaustedMessage(total: number, left: number, source: string, request: RequestView): string {
  const why =
    left === 0
      ? `all ${total} replies are used`
      : `${total - left} of ${total} replies are used and none of the ${left} left matches this request ` +
        `(model "${request.model}", last user message "${oneLine(request.lastUser, 80)}")`;
  return `scripted model server: no reply left in ${source} for this request: ${why}; add a reply line to the script`;
}
