import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import type { Bus, BusMessage, Subscription } from "../../services/control-plane/bus/bus.js";
import { decodeNotice, encodeNotice, eventSubjects, publishEvents } from "../../services/control-plane/bus/event-notices.js";
import { subjects } from "../../services/control-plane/bus/subjects.js";
import { newId } from "../../shared/ids.js";
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

  it("announces a commit with one notice per subject naming its newest seq, never the events", async () => {
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
    // The completions queue's notice goes out last: once it is there, all the
    // earlier ones (same publisher, same subscriber connection) have arrived.
    for await (const message of queues.completions) {
      if (decodeNotice(message)?.sessionId === sessionId) break;
    }
    await subscriber.close();

    const ours = (messages: BusMessage[]) => messages.map((m) => decodeNotice(m)).filter((n) => n?.sessionId === sessionId);
    expect(ours(await drained(session))).toEqual([{ sessionId, seq: 7n }]);
    expect(ours(await drained(logs))).toEqual([{ sessionId, seq: 6n }]);
    expect(ours(await drained(queues.requests))).toEqual([{ sessionId, seq: 2n }]);
    expect(ours(await drained(queues.jobs))).toEqual([{ sessionId, seq: 3n }]);
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

describe("decodeNotice", () => {
  const subject = "pushpals.session.x.events";
  const sessionId = newId("session");

  it("returns the notice that was encoded", () => {
    for (const seq of [1n, 42n, 2n ** 64n - 1n]) {
      expect(decodeNotice({ subject, data: encodeNotice({ sessionId, seq }) })).toEqual({ sessionId, seq });
    }
  });

  it("returns undefined and logs what is wrong for bytes that are not a notice, an encoded event among them", () => {
    const logs = capturedLogs();
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const [event] = sessionEvents(sessionId, newId("job"), newId("request"), newId("completion"));
    const garbage = [
      toBinary(EventSchema, event!),
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array(0),
      json({ sessionId: "ses_1", seq: "1" }),
      json({ sessionId, seq: "0" }),
      json({ sessionId, seq: 7 }),
      json({ sessionId, seq: (2n ** 64n).toString() }),
      json({ sessionId, seq: "1", text: "extra" }),
    ];
    for (const data of garbage) expect(decodeNotice({ subject, data }, logs.logger)).toBeUndefined();
    const warnings = logs.lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(garbage.length);
    expect(warnings.every((w) => w.subject === subject && typeof w.problem === "string")).toBe(true);
    expect(warnings.map((w) => w.problem).slice(3)).toEqual([
      "sessionId is not a session id (ses_ and a ULID)",
      "seq is not a positive whole number",
      "seq Invalid input: expected string, received number",
      "seq is beyond a uint64",
      'notice Unrecognized key: "text"',
    ]);
  });

  it("warns about at most ten skipped messages per ten seconds, so junk on the bus cannot flood the logs", () => {
    const logs = capturedLogs();
    for (let i = 0; i < 50; i++) decodeNotice({ subject, data: new Uint8Array([0xff]) }, logs.logger);
    expect(logs.lines().filter((line) => line.level === 40)).toHaveLength(10);
  });
});
