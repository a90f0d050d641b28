import { userInfo } from "node:os";
import type { Clients } from "../../shared/clients.js";
import { clientCommand } from "./client-command.js";
import { runInteractiveChat } from "./chat/interactive-chat.js";
import { PlainView } from "./chat/chat-view.js";
import { sendAndWait } from "./chat/send-and-wait.js";
import { chooseSession, locateSession } from "./chat/session-choice.js";
import { TerminalView } from "./chat/terminal-view.js";
import { usageError } from "./exit-codes.js";
import { durationFlag } from "./number-flags.js";
import { UNARY_CALL } from "./server-connection.js";
import { styleFor } from "./style.js";

export const chatUsage = `pushpals chat [TEXT | -m TEXT [--wait [--timeout 30m]] [--json]] [--session ID | --new] [--repo DIR] [--server URL]

Without a message: an interactive prompt. Each line goes to PushPals; replies, plans,
job progress, checks and merges stream in as they happen. Ctrl-D or /quit leaves.

With TEXT (the words after chat) or -m TEXT: sends one message and prints the answer.
With --wait it follows the work the message started until it ends, printing each
event, and exits
  0    merged, or answered without work
  1    a request, job or merge failed, or PushPals needs an answer (the reason is printed)
  3    the server could not be reached
  124  --timeout ran out (default 30m)
--json prints one JSON object per line: {"sent":…}, {"event":…}, then {"outcome":…}.

The session is --session ID, else the one this repository used last
(cli-session in the repository's data dir), else a new one; --new starts a new one.`;

const DEFAULT_TIMEOUT_MS = 30 * 60_000;

export const chatCommand = clientCommand({
  name: "chat",
  usage: chatUsage,
  options: {
    message: { type: "string", short: "m" },
    wait: { type: "boolean" },
    timeout: { type: "string" },
    session: { type: "string" },
    new: { type: "boolean" },
    repo: { type: "string" },
  },
  positionals: [0, Number.MAX_SAFE_INTEGER],
  async run({ values, positionals, server }) {
    if (values.message !== undefined && positionals.length > 0) {
      throw usageError(`give the message once: as -m TEXT or as the words after chat, not both (got -m and "${positionals.join(" ")}")`);
    }
    const given = values.message ?? (positionals.length > 0 ? positionals.join(" ") : undefined);
    const text = given?.trim();
    if (given !== undefined && !text) throw usageError("the message is empty");
    if (text === undefined && (values.wait || values.json || values.timeout)) throw usageError("--wait, --timeout and --json go with a message (TEXT or -m TEXT)");
    if (values.timeout && !values.wait) throw usageError("--timeout goes with --wait");
    if (values.new && values.session) throw usageError("--new and --session exclude each other");
    const timeoutMs = durationFlag("--timeout", values.timeout, DEFAULT_TIMEOUT_MS);

    const { repo } = await locateSession({ sessionFlag: values.session, repoFlag: values.repo });
    const { clients } = server;
    const { session, created } = await chooseSession(clients, { sessionFlag: values.session, repo, fresh: values.new });
    const style = styleFor(process.stdout);
    const notes = styleFor(process.stderr);
    if (repo) await warnOnOtherRepo(server.clients, repo, notes.warn);
    if (created && !values.json) process.stderr.write(notes.dim(`started session ${session.id} for ${repo}\n`));

    const author = process.env.USER || safeUserName();
    if (text === undefined) return runInteractiveChat({ clients, url: server.url, session, author, style });
    const view = process.stdout.isTTY ? new TerminalView(process.stdout, style) : new PlainView(process.stdout);
    return sendAndWait({ clients, session, text, author, wait: values.wait === true, timeoutMs, json: values.json === true, view, style });
  },
});

/** A server started on another checkout works on that one; asking it from here is usually a mistake. */
async function warnOnOtherRepo(clients: Clients, repo: string, warn: (text: string) => string): Promise<void> {
  const status = await clients.system.getSystemStatus({}, UNARY_CALL);
  if (status.repo && status.repo !== repo) {
    process.stderr.write(warn(`note: this server works on ${status.repo}, not on ${repo}\n`));
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "cli";
  }
}
