import { create } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { EventSchema } from "../../../gen/pushpals/v1/events_pb.js";
import type { Session } from "../../../gen/pushpals/v1/sessions_pb.js";
import type { Clients } from "../../../shared/clients.js";
import { errorMessage } from "../../../shared/errors.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { rpcFailure } from "../rpc-failure.js";
import type { Style } from "../style.js";
import { ChatPrinter } from "./chat-printer.js";
import { PlainView, type ChatView } from "./chat-view.js";
import { parseInlineAnswer, PendingApprovals, type InlineAnswer } from "./pending-approvals.js";
import { followSession } from "./session-events.js";
import { TerminalView } from "./terminal-view.js";

const SEND_TIMEOUT_MS = 60_000;
const QUIT = new Set(["/quit", "/exit", "/q"]);
/** `@job_… text` goes to that running job's agent (SendToJob), not to the chat. */
const JOB_ADDRESS = /^@(job_[0-9A-HJKMNP-TV-Z]{26})[\s:,]+(\S[\s\S]*)$/;

export interface InteractiveOptions {
  clients: Clients;
  url: string;
  session: Session;
  author: string;
  style: Style;
}

/**
 * The chat prompt: each line goes to ChatService.Send while the session's events stream
 * in (from where the session stood when the chat opened). Ctrl-D, Ctrl-C or /quit leave
 * with 0; losing the server for good leaves with 3.
 */
export async function runInteractiveChat(options: InteractiveOptions): Promise<ExitCode> {
  const { clients, session, author, style } = options;
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const prompt = style.bold("› ");
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal, prompt, historySize: 200 });
  const terminalView = terminal ? new TerminalView(process.stdout, style, rl) : undefined;
  const view: ChatView = terminalView ?? new PlainView(process.stdout);
  const printer = new ChatPrinter(view, style, author);
  const following = new AbortController();
  const sends = new Set<Promise<void>>();
  let exitCode: ExitCode = EXIT.ok;

  view.line(style.dim(`session ${session.id} "${session.title}" on ${options.url} — type a message; Ctrl-D or /quit to leave`));

  const send = async (text: string) => {
    const toJob = JOB_ADDRESS.exec(text);
    if (toJob) {
      // The follow-up (or answer) shows when its event streams in.
      try {
        await clients.execution.sendToJob({ jobId: toJob[1]!, text: toJob[2]!, author }, { timeoutMs: SEND_TIMEOUT_MS });
      } catch (error) {
        view.line(style.bad(`✗ not sent to ${toJob[1]}: ${rpcFailure(error, options.url)?.message ?? errorMessage(error)}`));
      }
      return;
    }
    printer.willSend(text);
    try {
      // A key per line typed: the same words typed again are a new message, a repeated Send is not.
      printer.sent(await clients.chat.send({ sessionId: session.id, text, author, idempotencyKey: randomUUID() }, { timeoutMs: SEND_TIMEOUT_MS }));
    } catch (error) {
      printer.sendFailed(text);
      view.line(style.bad(`✗ not sent: ${rpcFailure(error, options.url)?.message ?? errorMessage(error)}`));
    }
  };

  // Approval prompts shown inline: a y/n line answers the oldest one still waiting.
  const approvals = new PendingApprovals();
  const answer = async (id: string, reply: InlineAnswer) => {
    approvals.forget(id);
    try {
      if (reply.approve) await clients.approvals.approve({ id, answeredBy: author, comment: reply.comment }, { timeoutMs: SEND_TIMEOUT_MS });
      else await clients.approvals.deny({ id, answeredBy: author, comment: reply.comment || `denied in pushpals chat by ${author}` }, { timeoutMs: SEND_TIMEOUT_MS });
    } catch (error) {
      view.line(style.bad(`✗ approval ${id} not answered: ${rpcFailure(error, options.url)?.message ?? errorMessage(error)}`));
    }
  };
  try {
    const { approvals: waiting } = await clients.approvals.listApprovals({ sessionId: session.id, pendingOnly: true }, { timeoutMs: SEND_TIMEOUT_MS });
    approvals.seed(waiting);
    for (const approval of waiting) printer.event(create(EventSchema, { itemId: approval.itemId, payload: { case: "approvalRequested", value: { approval } } }));
  } catch (error) {
    view.line(style.warn(`could not list the approvals waiting in this session: ${rpcFailure(error, options.url)?.message ?? errorMessage(error)}`));
  }

  const closed = new Promise<void>((resolve) =>
    rl.once("close", () => {
      terminalView?.endPrompt();
      resolve();
    }),
  );
  rl.on("line", (input) => {
    terminalView?.submitted(`${prompt}${input}`);
    const text = input.trim();
    if (QUIT.has(text)) return rl.close();
    if (!text) return;
    const reply = parseInlineAnswer(text);
    const asking = reply ? approvals.oldest() : undefined;
    const sending = (asking && reply ? answer(asking.id, reply) : send(text)).finally(() => sends.delete(sending));
    sends.add(sending);
  });
  rl.on("SIGINT", () => rl.close());
  const stopOnTerm = () => rl.close();
  process.once("SIGTERM", stopOnTerm);

  const follower = (async () => {
    const events = followSession(clients, {
      sessionId: session.id,
      afterSeq: session.lastSeq,
      signal: following.signal,
      onReconnect: (attempt, delayMs) => view.line(style.warn(`lost the connection to the server; reconnecting in ${delayMs} ms (attempt ${attempt})`)),
    });
    for await (const event of events) {
      approvals.observe(event);
      printer.event(event);
    }
  })().catch((error: unknown) => {
    const failure = rpcFailure(error, options.url);
    view.line(style.bad(`✗ the event stream stopped: ${failure?.message ?? errorMessage(error)}`));
    exitCode = failure?.exitCode ?? EXIT.failed;
    rl.close();
  });

  if (terminal) rl.prompt();
  await closed;
  // Piped input ends before the answers come: let the messages already typed get theirs.
  await Promise.all(sends);
  following.abort();
  await follower;
  process.off("SIGTERM", stopOnTerm);
  view.close();
  return exitCode;
}
