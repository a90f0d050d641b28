import { create } from "@bufbuild/protobuf";
import type { SendResponse } from "../../../gen/pushpals/v1/chat_pb.js";
import { EventSchema, type Event } from "../../../gen/pushpals/v1/events_pb.js";
import type { Style } from "../style.js";
import type { ChatView } from "./chat-view.js";
import { describeEvent } from "./event-line.js";

/**
 * Shows a conversation once: what Send answered and what the session's stream brings
 * overlap (the reply, the request's enqueue, our own message), and either may come first.
 */
export class ChatPrinter {
  private readonly shown = new Set<string>();
  private readonly unechoed: string[] = [];

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
    this.view.show(describeEvent(event, this.style));
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

function replyKey(inReplyTo: bigint, text: string): string {
  return `reply:${inReplyTo}:${text}`;
}
