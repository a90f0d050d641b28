import { randomUUID } from "node:crypto";
import { toJson } from "@bufbuild/protobuf";
import { SendResponseSchema, type SendResponse } from "../../../gen/pushpals/v1/chat_pb.js";
import { EventSchema } from "../../../gen/pushpals/v1/events_pb.js";
import type { Session } from "../../../gen/pushpals/v1/sessions_pb.js";
import type { Clients } from "../../../shared/clients.js";
import { CliFailure, EXIT, type ExitCode } from "../exit-codes.js";
import { shortSpan } from "../format.js";
import type { Style } from "../style.js";
import { ChatPrinter } from "./chat-printer.js";
import type { ChatView } from "./chat-view.js";
import { followSession } from "./session-events.js";
import { WorkTracker, type WorkOutcome } from "./work-tracker.js";

/** Send may wait on the chat service's own quick answer; more than this means it is stuck. */
const SEND_TIMEOUT_MS = 60_000;

export interface SendOptions {
  clients: Clients;
  session: Session;
  text: string;
  author: string;
  /** Follow the work the message started until it ends. */
  wait: boolean;
  timeoutMs: number;
  /** One JSON object per line on stdout instead of `view`. */
  json: boolean;
  view: ChatView;
  style: Style;
}

/**
 * `pushpals chat -m "…" [--wait]`: sends one message; with --wait follows what it started
 * (request → jobs → completions, repairs after a conflict) and ends with its outcome:
 * 0 merged or answered, 1 failed or needs an answer, 124 out of time.
 */
export async function sendAndWait(options: SendOptions): Promise<ExitCode> {
  const { clients, session, text, author, json, view } = options;
  const printer = new ChatPrinter(view, options.style, author);
  printer.willSend(text);
  // A key of its own: a Send the transport repeats records the message once.
  const response = await clients.chat.send({ sessionId: session.id, text, author, idempotencyKey: randomUUID() }, { timeoutMs: SEND_TIMEOUT_MS });
  if (json) writeJson({ sent: toJson(SendResponseSchema, response) });
  else printer.sent(response);
  if (!options.wait) return EXIT.ok;

  const request = response.request;
  if (!request) {
    const reason = response.reply ? "answered without work" : "the message was recorded; nothing was started to wait for";
    return finish({ status: "answered", reason }, options, response, printer);
  }

  const tracker = new WorkTracker(request.id);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  // Ctrl-C stops the following, not the work: the server goes on with it.
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    controller.abort();
  };
  process.once("SIGINT", onInterrupt);
  try {
    const events = followSession(clients, {
      sessionId: session.id,
      afterSeq: response.messageSeq,
      signal: controller.signal,
      onReconnect: (attempt, delayMs) => {
        const notice = `lost the connection to the server; reconnecting in ${delayMs} ms (attempt ${attempt})`;
        // stdout stays pure JSON lines for scripts.
        if (json) process.stderr.write(`${notice}\n`);
        else view.line(options.style.warn(notice));
      },
    });
    for await (const event of events) {
      const outcome = tracker.observe(event);
      if (tracker.concerns(event)) {
        if (json) writeJson({ event: toJson(EventSchema, event) });
        else printer.event(event);
      }
      if (outcome) return finish(outcome, options, response, printer);
    }
  } finally {
    process.off("SIGINT", onInterrupt);
    clearTimeout(timer);
    controller.abort();
    view.close();
  }
  if (interrupted) {
    if (json) writeJson({ outcome: { status: "interrupted", exitCode: EXIT.interrupted, waitingFor: tracker.pending() } });
    throw new CliFailure(
      `stopped following; ${request.id} goes on without you — follow it with \`pushpals chat\` (this session), \`pushpals jobs\` or \`pushpals logs JOB\`, or stop it with \`pushpals cancel ${request.id}\``,
      EXIT.interrupted,
    );
  }
  const waitingFor = tracker.pending().join(", ") || "the work";
  if (json) writeJson({ outcome: { status: "timed_out", exitCode: EXIT.timedOut, waitingFor: tracker.pending() } });
  throw new CliFailure(
    `gave up after ${shortSpan(options.timeoutMs)} still waiting for ${waitingFor}; it goes on without you — see \`pushpals jobs\` or \`pushpals chat\`, or raise --timeout`,
    EXIT.timedOut,
  );
}

function finish(outcome: WorkOutcome, options: SendOptions, response: SendResponse, printer: ChatPrinter): ExitCode {
  const exitCode = outcome.status === "failed" || outcome.status === "needs_answer" ? EXIT.failed : EXIT.ok;
  if (options.json) {
    writeJson({ outcome: { ...outcome, exitCode, requestId: response.request?.id ?? "", messageSeq: String(response.messageSeq) } });
  }
  // The reason is on the screen already; the last line says only how it ended.
  const shown = !options.json && outcome.status === "failed" && printer.showedReasonOf(outcome.itemId);
  if (exitCode !== EXIT.ok) throw new CliFailure(shown ? `${outcome.itemId} did not succeed (the reason is above)` : outcome.reason, exitCode);
  if (!options.json) options.view.line(options.style.ok(`✓ done: ${outcome.reason}`));
  return exitCode;
}

function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
