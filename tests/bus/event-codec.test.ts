import { create, equals, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus, BusMessage, Subscription } from "../../services/kernel/bus/bus.js";
import { decodeEvent, eventSubjects, publishEvents } from "../../services/kernel/bus/event-codec.js";
import { subjects } from "../../services/kernel/bus/subjects.js";
import { newId } from "../../services/kernel/ids.js";
import { busesUnderTest } from "./support/buses.js";
import { capturedLogs } from "./support/captured-logs.js";

function sessionEvents(sessionId: string, jobId: string, requestId: string, completionId: string): Event[] {
  const drafts: MessageInitShape<typeof EventSchema>[] = [
    { payload: { case: "message", value: { text: "fix the build", author: "ana" } } },
    { itemId: requestId, payload: { case: "requestEnqueued", value: { item: { id: requestId, queue: QueueName.REQUESTS, sessionId: "" } } } },
    { itemId: jobId, payload: { case: "jobEnqueued", value: { item: { id: jobId, queue: QueueName.JOBS } } } },
    { itemId: jobId, payload: { case: "jobClaimed", value: { workerId: "w1", attempt: 1 } } },
    { itemId: jobId, payload: { case: "jobLog", value: { line: 1n, text: "npm test" } } },
    { itemId: jobId, payload: { case: "jobLog", value: { line: 2n, text: "ok" } } },
    { itemId: completionId, payload: { case: "completionEnqueued", value: { item: { id: completionId, queue: QueueName.COMPLETIONS } } } },
  ];
  return drafts.map((draft, index) => create(EventSchema, { ...draft, sessionId, seq: BigInt(index + 1) }));
}

async function drained(subscription: Subscription): Promise<BusMessage[]> {
  const messages: BusMessage[] = [];
  for await (const message of subscription) messages.push(message);
  return messages;
}

describe.each(busesUnderTest)("publishEvents on the $kind bus", (busUnderTest) => {
  let publisher: Bus;
  let subscriber: Bus;
  let closePair: () => Promise<void>;
  beforeEach(async () => {
    ({ publisher, subscriber, close: closePair } = await busUnderTest.pair());
  });
  afterEach(async () => {
    await closePair();
  });

  it("routes every event to its session, job logs to the job, *_enqueued to the queue", async () => {
    const [sessionId, jobId, requestId, completionId] = [newId("session"), newId("job"), newId("request"), newId("completion")];
    const events = sessionEvents(sessionId, jobId, requestId, completionId);
    const session = subscriber.subscribe(subjects.sessionEvents(sessionId));
    const logs = subscriber.subscribe(subjects.jobLogs(jobId));
    const queues = {
      requests: subscriber.subscribe(subjects.queueEnqueued(QueueName.REQUESTS)),
      jobs: subscriber.subscribe(subjects.queueEnqueued(QueueName.JOBS)),
      completions: subscriber.subscribe(subjects.queueEnqueued(QueueName.COMPLETIONS)),
    };
    await Promise.all([session, logs, ...Object.values(queues)].map((s) => s.ready));

    publishEvents(publisher, events);
    // The last event goes out on the completions queue: once it is there, all the
    // earlier messages (same publisher, same subscriber connection) have arrived.
    const completionWakeups: Event[] = [];
    for await (const message of queues.completions) {
      const event = decodeEvent(message);
      if (event?.sessionId !== sessionId) continue;
      completionWakeups.push(event);
      if (event.seq === BigInt(events.length)) break;
    }
    expect(completionWakeups.map((e) => e.payload.case)).toEqual(["completionEnqueued"]);
    await subscriber.close();

    const ours = (messages: BusMessage[]) => messages.map((m) => decodeEvent(m)).filter((e) => e?.sessionId === sessionId) as Event[];
    const sessionGot = ours(await drained(session));
    expect(sessionGot).toHaveLength(events.length);
    sessionGot.forEach((event, i) => expect(equals(EventSchema, event, events[i]!)).toBe(true));
    expect(ours(await drained(logs)).map((e) => e.seq)).toEqual([5n, 6n]);
    expect(ours(await drained(queues.requests)).map((e) => e.payload.case)).toEqual(["requestEnqueued"]);
    expect(ours(await drained(queues.jobs)).map((e) => e.payload.case)).toEqual(["jobEnqueued"]);
  });
});

describe("eventSubjects", () => {
  it("names the session subject first, then the job-log or queue subject", () => {
    const [sessionId, jobId] = [newId("session"), newId("job")];
    const events = sessionEvents(sessionId, jobId, newId("request"), newId("completion"));
    expect(events.map(eventSubjects)).toEqual([
      [`pushpals.session.${sessionId}.events`],
      [`pushpals.session.${sessionId}.events`, "pushpals.queue.requests.enqueued"],
      [`pushpals.session.${sessionId}.events`, "pushpals.queue.jobs.enqueued"],
      [`pushpals.session.${sessionId}.events`],
      [`pushpals.session.${sessionId}.events`, `pushpals.job.${jobId}.logs`],
      [`pushpals.session.${sessionId}.events`, `pushpals.job.${jobId}.logs`],
      [`pushpals.session.${sessionId}.events`, "pushpals.queue.completions.enqueued"],
    ]);
  });
});

describe("decodeEvent", () => {
  const subject = "pushpals.session.x.events";

  it("returns the event that was encoded", () => {
    const [event] = sessionEvents(newId("session"), newId("job"), newId("request"), newId("completion"));
    const decoded = decodeEvent({ subject, data: toBinary(EventSchema, event!) });
    expect(decoded && equals(EventSchema, decoded, event!)).toBe(true);
  });

  it("returns undefined and logs a warning for bytes that are not an event", () => {
    const logs = capturedLogs();
    const garbage = [
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]),
      new TextEncoder().encode("{\"sessionId\":\"ses_1\"}"),
      new Uint8Array(0),
      toBinary(EventSchema, create(EventSchema, { sessionId: "ses_1" })),
    ];
    for (const data of garbage) expect(decodeEvent({ subject, data }, logs.logger)).toBeUndefined();
    const warnings = logs.lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(garbage.length);
    expect(warnings.every((w) => w.subject === subject && typeof w.problem === "string")).toBe(true);
    expect(warnings.map((w) => w.problem).slice(2)).toEqual(["no session_id", "no seq"]);
  });

  it("keeps an event whose payload kind this build does not know", () => {
    // Field 99 is no payload case today: a newer publisher's event must still pass.
    const known = toBinary(EventSchema, create(EventSchema, { sessionId: "ses_1", seq: 7n }));
    const unknownField = new Uint8Array([...known, 0x9a, 0x06, 0x00]);
    const decoded = decodeEvent({ subject, data: unknownField });
    expect(decoded?.seq).toBe(7n);
    expect(decoded?.payload.case).toBeUndefined();
  });
});
