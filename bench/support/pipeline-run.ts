import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Clients } from "../../shared/clients.js";

/** The hops of one message's way, each from the moment the one before ended. */
export const HOPS = [
  ["planner queue wait", "requestClaimed"],
  ["planning", "jobEnqueued"],
  ["job queue wait", "jobClaimed"],
  ["job run", "completionEnqueued"],
  ["integration queue wait", "completionClaimed"],
  ["integration", "completionCompleted"],
] as const;

export type Hop = (typeof HOPS)[number][0] | "event delivered to the client";

export interface RunTiming {
  /** ChatService.Send answered → the client received completion_completed (pushed). */
  totalMs: number;
  hops: Record<Hop, number>;
  /** Within "job run" and "integration": each job_progress / integration_step stage until the next. */
  stages: Record<string, number>;
  /** Attempts above one anywhere (a retry would make the run no measure of overhead). */
  retries: number;
}

type Payload = Event["payload"];

/**
 * One run: a fresh session, its event stream opened first, then Send; ends when the stream
 * delivers completion_completed. Times come from the events themselves (the control plane
 * stamps each as it commits), against this process's clock at Send's answer.
 */
export async function timeOneRun(clients: Clients, text: string, timeoutMs: number): Promise<RunTiming> {
  const { session } = await clients.sessions.createSession({ title: text });
  const sessionId = session!.id;
  const stop = AbortSignal.timeout(timeoutMs);
  const stream = clients.sessions.streamEvents({ sessionId }, { signal: stop })[Symbol.asyncIterator]();
  // The stream's first answer (the session_created replay) says it is open before we send.
  const first = await stream.next();
  if (first.done) throw new Error("the event stream ended before the first event");

  const sent = await clients.chat.send({ sessionId, text, author: "bench" });
  const sentAt = Date.now();
  if (!sent.request) throw new Error(`"${text}" was answered without a request: ${sent.reply?.text ?? "(no reply)"}`);
  const events: Event[] = [];
  for (;;) {
    const next = await stream.next().catch((error: unknown) => {
      throw new Error(`${(error as Error).message} while waiting for the merge of "${text}"; events so far: ${events.map((e) => e.payload.case).join(", ")}`);
    });
    if (next.done) throw new Error(`the event stream ended before the merge of "${text}"`);
    if (next.value.message.case !== "event") continue;
    const event = next.value.message.value;
    events.push(event);
    const failure = failed(event.payload);
    if (failure) throw new Error(`"${text}": ${event.payload.case} ${failure}`);
    if (event.payload.case === "completionCompleted") {
      const receivedAt = Date.now();
      await stream.return?.();
      return timing(events, sentAt, receivedAt);
    }
  }
}

function failed(payload: Payload): string | undefined {
  switch (payload.case) {
    case "requestFailed":
    case "jobFailed":
    case "completionFailed":
      return payload.value.error;
    case "requestDeadLettered":
    case "jobDeadLettered":
    case "completionDeadLettered":
      return payload.value.lastError;
    case "completionConflicted":
      return payload.value.error;
    default:
      return undefined;
  }
}

function timing(events: Event[], sentAt: number, receivedAt: number): RunTiming {
  const at = (event: Event) => timestampMs(event.time!);
  const firstOf = (kind: Payload["case"]) => {
    const found = events.find((event) => event.payload.case === kind);
    if (!found) throw new Error(`no ${kind} event in the run`);
    return at(found);
  };
  const hops = {} as Record<Hop, number>;
  let from = sentAt;
  for (const [hop, endsWith] of HOPS) {
    const end = firstOf(endsWith);
    // The request may be claimed before Send's answer reaches us: that hop then took no time of ours.
    hops[hop] = Math.max(0, end - from);
    from = Math.max(from, end);
  }
  hops["event delivered to the client"] = receivedAt - from;

  const stages: Record<string, number> = {};
  const marks = events.flatMap((event) => {
    const p = event.payload;
    if (p.case === "jobProgress") return [{ name: `job: ${p.value.stage}`, at: at(event) }];
    if (p.case === "integrationStep" && p.value.stage !== "check_output") return [{ name: `integration: ${p.value.stage}`, at: at(event) }];
    // Boundaries: claimed → first stage is named after the claim; enqueued/completed only end a stage.
    if (p.case === "jobClaimed") return [{ name: "job: claimed (until the first stage)", at: at(event) }];
    if (p.case === "completionClaimed") return [{ name: "integration: claimed (until the first step)", at: at(event) }];
    if (p.case === "completionEnqueued" || p.case === "completionCompleted") return [{ name: "", at: at(event) }];
    return [];
  });
  marks.forEach((mark, i) => {
    const next = marks[i + 1];
    if (mark.name && next) stages[mark.name] = (stages[mark.name] ?? 0) + (next.at - mark.at);
  });
  const retries = events.filter((event) => event.payload.case === "jobRequeued" || event.payload.case === "requestRequeued" || event.payload.case === "completionRequeued").length;
  return { totalMs: receivedAt - sentAt, hops, stages, retries };
}
