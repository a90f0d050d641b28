import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { EventSchema, type Event } from "../../../gen/pushpals/v1/events_pb.js";
import { errorMessage } from "../errors.js";
import { createLogger, type Logger } from "../log.js";
import type { Bus, BusMessage } from "./bus.js";
import { subjects } from "./subjects.js";

type PayloadCase = NonNullable<Event["payload"]["case"]>;

/** The events that put an item on a queue, and so must wake that queue's claimers. */
const ENQUEUED_ON: Partial<Record<PayloadCase, QueueName>> = {
  requestEnqueued: QueueName.REQUESTS,
  jobEnqueued: QueueName.JOBS,
  completionEnqueued: QueueName.COMPLETIONS,
};

/** Every subject an event is published on: its session's, plus its job's logs or its queue's wake-up. */
export function eventSubjects(event: Event): string[] {
  const routed = [subjects.sessionEvents(event.sessionId)];
  const kind = event.payload.case;
  if (kind === "jobLog") routed.push(subjects.jobLogs(event.itemId));
  const queue = kind === undefined ? undefined : ENQUEUED_ON[kind];
  if (queue !== undefined) routed.push(subjects.queueEnqueued(queue));
  return routed;
}

/**
 * Publishes committed events, in order, as EventSchema protobuf bytes. Call it only
 * after the store transaction has committed: a reader woken by the bus must find
 * the change in the store.
 */
export function publishEvents(bus: Bus, events: readonly Event[]): void {
  for (const event of events) {
    const data = toBinary(EventSchema, event);
    for (const subject of eventSubjects(event)) bus.publish(subject, data);
  }
}

let fallbackLogger: Logger | undefined;

/**
 * The event in a bus message, or undefined (with a warning) when the bytes are not
 * one: a bad message is skipped, never allowed to crash the reader. A payload case
 * this build does not know is kept (an unset payload), so newer publishers do not
 * break older readers; the session and seq are required, since readers order by them.
 */
export function decodeEvent(message: BusMessage, logger?: Logger): Event | undefined {
  const log = (problem: string): undefined => {
    (logger ?? (fallbackLogger ??= createLogger("bus"))).warn(
      { subject: message.subject, bytes: message.data.length, problem },
      "bus: skipped a message that is not a PushPals event; check what publishes on this subject",
    );
    return undefined;
  };
  let event: Event;
  try {
    event = fromBinary(EventSchema, message.data);
  } catch (error) {
    return log(errorMessage(error));
  }
  if (event.sessionId === "") return log("no session_id");
  if (event.seq === 0n) return log("no seq");
  return event;
}
