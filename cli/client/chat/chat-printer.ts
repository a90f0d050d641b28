import { create } from "@bufbuild/protobuf";
import type { SendResponse } from "../../../gen/pushpals/v1/chat_pb.js";
import { EventSchema, type Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { Style } from "../style.js";
import type { ChatView } from "./chat-view.js";
import { describeEvent } from "./event-line.js";

/**
 * Shows a conversation once: what Send answered and what the session's stream brings
 * overlap (the reply, the request's enqueue, our own message), and either may come first.
 * A failure's reason, too, is shown once: the service records it as an error event (with
 * the hint), tells the person in an assistant message and fails the item with it; the
 * first of these shows it, the others are left out or shortened.
 */
export class ChatPrinter {
  private readonly shown = new Set<string>();
  private readonly unechoed: string[] = [];
  /** Per item, the failure reasons already on screen. */
  private readonly reasons = new Map<string, string[]>();

  constructor(
    private readonly view: ChatView,
    private readonly style: Style,
    private readonly author: string,
  ) {}

  /** Before sending: the stream's copy of this message is not shown again. */
  willSend(text: string): void {
    this.unechoed.push(text);
  }

  sendFailed(text: string): void {
    this.takeUnechoed(text);
  }

  sent(response: SendResponse): void {
    const reply = response.reply;
    if (reply && this.firstTime(replyKey(reply.inReplyTo || response.messageSeq, reply.text))) {
      this.view.show(describeEvent(create(EventSchema, { payload: { case: "assistantMessage", value: reply } }), this.style));
    }
    const request = response.request;
    if (request && this.firstTime(`enqueued:${request.id}`)) {
      this.view.show(describeEvent(create(EventSchema, { itemId: request.id, payload: { case: "requestEnqueued", value: { item: request } } }), this.style));
    }
  }

  event(event: Event): void {
    const p = event.payload;
    if (p.case === "message" && p.value.author === this.author && this.takeUnechoed(p.value.text)) return;
    if (p.case === "assistantMessage" && p.value.inReplyTo !== 0n && !this.firstTime(replyKey(p.value.inReplyTo, p.value.text))) return;
    if (p.case === "requestEnqueued" && !this.firstTime(`enqueued:${event.itemId}`)) return;
    // Prompts the chat listed on opening may also arrive on the stream.
    if (p.case === "approvalRequested" && !this.firstTime(`approval:${p.value.approval?.id ?? ""}`)) return;
    const view = describeEvent(event, this.style);
    if (p.case === "error" && event.itemId) this.noteReason(event.itemId, p.value.message);
    if (p.case === "assistantMessage" && this.repeatsReason(event.itemId, p.value.text)) return;
    const ending = failureEnding(event);
    if (ending && this.repeatsReason(event.itemId, ending.reason)) return this.view.show({ ...view, line: this.style.bad(`✗ ${ending.short}`) });
    if (ending) this.noteReason(event.itemId, ending.reason);
    this.view.show(view);
  }

  /** Whether the reason this item failed with is already on screen (the last line need not say it again). */
  showedReasonOf(itemId: string): boolean {
    return (this.reasons.get(itemId)?.length ?? 0) > 0;
  }

  private noteReason(itemId: string, reason: string): void {
    const first = firstLine(reason).trim();
    if (!first) return;
    this.reasons.set(itemId, [...(this.reasons.get(itemId) ?? []), first]);
  }

  private repeatsReason(itemId: string, text: string): boolean {
    return (this.reasons.get(itemId) ?? []).some((reason) => text.includes(reason));
  }

  private firstTime(key: string): boolean {
    if (this.shown.has(key)) return false;
    this.shown.add(key);
    return true;
  }

  private takeUnechoed(text: string): boolean {
    const index = this.unechoed.indexOf(text);
    if (index < 0) return false;
    this.unechoed.splice(index, 1);
    return true;
  }
}

/** A failed or dead-lettered item: the reason it ended with, and its line when that reason is already shown. */
function failureEnding(event: Event): { reason: string; short: string } | undefined {
  const p = event.payload;
  const kind = (eventCase: string) => (eventCase.startsWith("request") ? "request" : eventCase.startsWith("job") ? "job" : "change");
  switch (p.case) {
    case "requestFailed":
    case "jobFailed":
    case "completionFailed":
      return { reason: p.value.error, short: `${kind(p.case)} ${event.itemId} failed (the reason is above)` };
    case "requestDeadLettered":
    case "jobDeadLettered":
    case "completionDeadLettered":
      return { reason: p.value.lastError, short: `${kind(p.case)} ${event.itemId} gave up after ${p.value.attempts} attempts (the reason is above)` };
    default:
      return undefined;
  }
}

function firstLine(text: string): string {
  const newline = text.indexOf("\n");
  return newline === -1 ? text : text.slice(0, newline);
}

function replyKey(inReplyTo: bigint, text: string): string {
  return `reply:${inReplyTo}:${text}`;
}
