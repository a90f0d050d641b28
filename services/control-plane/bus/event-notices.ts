import { z } from "zod";
import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../../gen/pushpals/v1/events_pb.js";
import { errorMessage } from "../../../shared/errors.js";
import { isId } from "../../../shared/ids.js";
import { createLogger, type Logger } from "../../../shared/log.js";
import type { Bus, BusMessage } from "./bus.js";
import { subjects } from "./subjects.js";

/*
 * The bus carries notices, never events. Anyone who can publish on the bus (a NATS
 * without credentials, a client with too wide a permission) could otherwise put
 * words in PushPals' mouth: an event published on a session's subject reached live
 * streams without ever being in the store. A notice says only "session S has
 * committed events up to seq N"; whoever acts on it reads the events from the
 * store, so a forged notice costs at most one store read and delivers nothing.
 */

/** A session's log has committed events up to `seq`. */
export interface EventNotice {
  sessionId: string;
  seq: bigint;
}

type PayloadCase = NonNullable<Event["payload"]["case"]>;

/** The events that put an item on a queue, and so must wake that queue's claimers. */
const ENQUEUED_ON: Partial<Record<PayloadCase, QueueName>> = {
  requestEnqueued: QueueName.REQUESTS,
  jobEnqueued: QueueName.JOBS,
  completionEnqueued: QueueName.COMPLETIONS,
};

/** Every subject an event is announced on: its session's, plus its job's logs or its queue's wake-up. */
export function eventSubjects(event: Event): string[] {
  const routed = [subjects.sessionEvents(event.sessionId)];
  const kind = event.payload.case;
  if (kind === "jobLog") routed.push(subjects.jobLogs(event.itemId));
  const queue = kind === undefined ? undefined : ENQUEUED_ON[kind];
  if (queue !== undefined) routed.push(subjects.queueEnqueued(queue));
  return routed;
}

/**
 * Announces committed events: one notice per subject, naming the newest of the
 * events routed there (a reader reads everything up to it, so one is enough).
 * Call it only after the store transaction has committed: a reader woken by the
 * bus must find the change in the store.
 */
export function publishEvents(bus: Bus, events: readonly Event[]): void {
  const newest = new Map<string, Event>();
  for (const event of events) {
    for (const subject of eventSubjects(event)) {
      const seen = newest.get(subject);
      if (!seen || seen.seq < event.seq) newest.set(subject, event);
    }
  }
  for (const [subject, event] of newest) bus.publish(subject, encodeNotice({ sessionId: event.sessionId, seq: event.seq }));
}

/** JSON, as small as it gets: {"sessionId":"ses_…","seq":"42"} (seq as a string: it is a uint64). */
export function encodeNotice(notice: EventNotice): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ sessionId: notice.sessionId, seq: notice.seq.toString() }));
}

const MAX_UINT64 = 2n ** 64n - 1n;

const noticeSchema = z.strictObject({
  sessionId: z.string().refine((id) => isId("session", id), "is not a session id (ses_ and a ULID)"),
  seq: z
    .string()
    .regex(/^[1-9][0-9]{0,19}$/, "is not a positive whole number")
    .transform((seq) => BigInt(seq))
    .refine((seq) => seq <= MAX_UINT64, "is beyond a uint64"),
});

let fallbackLogger: Logger | undefined;

/**
 * The notice in a bus message, or undefined (with a warning) when the bytes are not
 * one: a bad message is skipped, never allowed to crash the reader.
 */
export function decodeNotice(message: BusMessage, logger?: Logger): EventNotice | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(message.data));
  } catch (error) {
    return skipped(message, `not JSON: ${errorMessage(error)}`, logger);
  }
  const notice = noticeSchema.safeParse(parsed);
  if (!notice.success) {
    const problem = notice.error.issues.map((issue) => `${issue.path.join(".") || "notice"} ${issue.message}`).join("; ");
    return skipped(message, problem, logger);
  }
  return notice.data;
}

/** Warnings per logger per window: whoever can publish junk on the bus must not also flood the logs. */
const WARN_BURST = 10;
const WARN_WINDOW_MS = 10_000;
const warnWindows = new WeakMap<Logger, { startedAt: number; warned: number; suppressed: number }>();

function skipped(message: BusMessage, problem: string, given: Logger | undefined): undefined {
  const logger = given ?? (fallbackLogger ??= createLogger("bus"));
  const now = Date.now();
  let window = warnWindows.get(logger);
  if (!window || now - window.startedAt >= WARN_WINDOW_MS) {
    const suppressedBefore = window?.suppressed ?? 0;
    window = { startedAt: now, warned: 0, suppressed: 0 };
    warnWindows.set(logger, window);
    if (suppressedBefore > 0) logger.warn({ suppressed: suppressedBefore }, "bus: more messages that are not PushPals event notices were skipped without a warning each");
  }
  if (window.warned >= WARN_BURST) return void window.suppressed++;
  window.warned++;
  logger.warn(
    { subject: message.subject, bytes: message.data.length, problem },
    "bus: skipped a message that is not a PushPals event notice; check what publishes on this subject (only PushPals should)",
  );
  return undefined;
}
