import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema, type ItemPayload } from "../../gen/pushpals/v1/items_pb.js";
import { TaskExecuteV2Schema } from "../../gen/pushpals/v1/task_pb.js";
import type { Claimed, EnqueueInput, Store } from "../../services/control-plane/store/store.js";

export function payloadFor(queue: QueueName, label = "work"): ItemPayload {
  switch (queue) {
    case QueueName.REQUESTS:
      return create(ItemPayloadSchema, { kind: { case: "request", value: { text: label, origin: "test" } } });
    case QueueName.COMPLETIONS:
      return create(ItemPayloadSchema, { kind: { case: "completion", value: { jobId: label, branch: "agent/w/x", sha: "abc" } } });
    default:
      return create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: create(TaskExecuteV2Schema, {}) } });
  }
}

/** A session to hang items on. */
export async function newSession(store: Store, title = "test session"): Promise<string> {
  return (await store.createSession({ title })).value.session.id;
}

export async function enqueueOn(store: Store, sessionId: string, queue: QueueName, overrides: Partial<EnqueueInput> = {}): Promise<string> {
  const { value } = await store.enqueue({ queue, sessionId, priority: Priority.NORMAL, payload: payloadFor(queue), ...overrides });
  return value.item.id;
}

export async function claimOne(store: Store, queue: QueueName, workerId = "w1", leaseMs = 10_000): Promise<Claimed> {
  const { value } = await store.claim({ queue, workerId, leaseMs });
  if (!value) throw new Error(`expected an item to claim on queue ${QueueName[queue]}`);
  return value;
}

/** Asserts the promise rejects with a ConnectError of `code` whose message matches. */
export async function expectCode(promise: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, `expected ${Code[code]}`).toBeInstanceOf(ConnectError);
  const connectError = error as ConnectError;
  expect(Code[connectError.code]).toBe(Code[code]);
  if (message) expect(connectError.rawMessage).toMatch(message);
  return connectError;
}

/** Events compared by their stored bytes (protobuf-es messages are not plain objects). */
export function bytesOf(events: Event[]): string[] {
  return events.map((event) => Buffer.from(toBinary(EventSchema, event)).toString("base64"));
}

export function casesOf(events: Event[]): string[] {
  return events.map((event) => event.payload.case ?? "none");
}

export async function allEvents(store: Store, sessionId: string): Promise<Event[]> {
  return store.listEvents({ sessionId, afterSeq: 0n, limit: 10_000 });
}
