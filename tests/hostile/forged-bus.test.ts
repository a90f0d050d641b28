import { create, equals, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { AssistantMessageSchema, EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import type { Bus } from "../../services/control-plane/bus/bus.js";
import { encodeNotice } from "../../services/control-plane/bus/event-notices.js";
import { createMemoryBus } from "../../services/control-plane/bus/memory-bus.js";
import { subjects } from "../../services/control-plane/bus/subjects.js";
import type { Clients } from "../../shared/clients.js";
import { silentLogger } from "../../shared/log.js";
import { openStore } from "../../services/control-plane/store/open-store.js";
import type { Store } from "../../services/control-plane/store/store.js";
import { toTimestamp } from "../../shared/time.js";
import { committedEvents, committer } from "../../services/control-plane/commit.js";
import { followSessionEvents, type FollowItem } from "../../services/control-plane/event-follower.js";
import { SessionHub } from "../../services/control-plane/session-hub.js";
import { watchJobEvents } from "../../services/runner/job-watch.js";
import { SHARED_NATS_URL } from "../bus/support/buses.js";
import { DEFAULT_OPTIONS } from "../store/harness.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";

/*
 * A hostile reviewer published events straight on the bus subject of an open NATS,
 * and a StreamEvents client showed them although the store never held them. What a
 * stream delivers must be what the store holds: here each forgery is published from
 * a connection of the forger's own, then real events are appended through the RPC,
 * and every stream must show exactly the store's events and keep working.
 */

const forgedText = (what: string) => `FORGED ${what}`;

function assistantMessage(text: string, fields: Partial<Pick<Event, "sessionId" | "seq" | "itemId">> = {}): Event {
  return create(EventSchema, {
    ...fields,
    time: toTimestamp(Date.now()),
    payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text, source: MessageSource.PLANNER }) },
  });
}

/** What a forger publishes: an event made with the same codec the control plane uses. */
const forgedBytes = (event: Event) => toBinary(EventSchema, event);

/** Reads a stream into `items`, and lets the test wait for what it expects to arrive. */
class Recorder<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<() => void>();
  #ended = false;
  #failure: unknown;

  constructor(
    source: AsyncIterable<T>,
    signal: AbortSignal,
    private readonly show: (items: readonly T[]) => unknown = (items) => items,
  ) {
    void (async () => {
      try {
        for await (const item of source) {
          this.items.push(item);
          for (const wake of [...this.#waiters]) wake();
        }
      } catch (error) {
        if (!signal.aborted && !(error instanceof ConnectError && error.code === Code.Canceled)) this.#failure = error;
      }
      this.#ended = true;
      for (const wake of [...this.#waiters]) wake();
    })();
  }

  /** Resolves once `test` holds for what arrived; rejects, showing what did arrive, if the stream ends or `timeoutMs` passes first. */
  until(test: (items: readonly T[]) => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`${why}; arrived: ${JSON.stringify(this.show(this.items))}`));
      const timer = setTimeout(() => (this.#waiters.delete(check), fail(`not there within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (!test(this.items) && !this.#ended) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (test(this.items)) resolve();
        else fail(`the stream ended (${String(this.#failure ?? "no error")})`);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

const texts = (events: readonly Event[]) => events.map((event) => (event.payload.case === "assistantMessage" ? event.payload.value.text : `(${event.payload.case})`));

describe("forged events on NATS, control plane on Postgres + NATS", () => {
  let cp: TestControlPlane;
  let forger: NatsConnection;
  const leave = new AbortController();

  beforeAll(async () => {
    cp = await startTestControlPlane({
      store: "postgres",
      natsUrl: SHARED_NATS_URL,
      env: { PUSHPALS_LOG_LEVEL: "silent" },
      overrides: { "server.keepaliveSeconds": 0.2 },
    });
    forger = await connect({ servers: SHARED_NATS_URL, name: "forger" });
  });
  afterAll(async () => {
    leave.abort();
    await forger?.close();
    await cp?.stop();
  });

  /** Publishes on the session's subject and waits until the server has it, so it goes out before what the test does next. */
  async function forge(sessionId: string, data: Uint8Array): Promise<void> {
    forger.publish(subjects.sessionEvents(sessionId), data);
    await forger.flush();
  }

  it("a StreamEvents client sees exactly the store's events, never the forged ones, and keeps streaming", async () => {
    const { session } = await cp.clients.sessions.createSession({ title: "forged bus" });
    const sessionId = session!.id;
    const stream = new Recorder(liveEvents(cp.clients, sessionId, 0n, leave.signal), leave.signal, texts);
    // The replay runs after the live subscription is in place, so the first event proves the stream live.
    await stream.until((events) => events.length >= 1);
    const lastSeq = (await cp.clients.sessions.getSession({ sessionId })).session!.lastSeq;

    await forge(sessionId, forgedBytes(assistantMessage(forgedText("next seq"), { sessionId, seq: lastSeq + 1n })));
    await forge(sessionId, forgedBytes(assistantMessage(forgedText("existing seq"), { sessionId, seq: lastSeq })));
    await forge(sessionId, forgedBytes(assistantMessage(forgedText("far ahead"), { sessionId, seq: lastSeq + 5n })));
    // A well-formed notice only makes the control plane look in the store, where there is nothing new.
    await forge(sessionId, encodeNotice({ sessionId, seq: lastSeq + 1n }));
    await forge(sessionId, encodeNotice({ sessionId, seq: 2n ** 64n - 1n }));
    await cp.clients.sessions.appendEvents({ sessionId, events: [assistantMessage("real 1")] });
    await cp.clients.sessions.appendEvents({ sessionId, events: [assistantMessage("real 2")] });
    await stream.until((events) => texts(events).includes("real 2"));

    // And after the forgeries the stream still follows the store live.
    await forge(sessionId, forgedBytes(assistantMessage(forgedText("later"), { sessionId, seq: lastSeq + 3n })));
    await cp.clients.sessions.postMessage({ sessionId, text: "real 3" });
    await stream.until((events) => events.some((event) => event.payload.case === "message"));

    const stored = (await cp.clients.sessions.listEvents({ sessionId, afterSeq: 0n, limit: 100 })).events;
    expect(texts(stream.items)).toEqual(texts(stored));
    expect(stream.items.length).toBe(stored.length);
    stream.items.forEach((event, i) => expect(equals(EventSchema, event, stored[i]!)).toBe(true));
    expect(texts(stream.items).join("\n")).not.toContain("FORGED");
  });

  it("StreamJobLogs shows only the job's stored lines, not a forged one", async () => {
    const { sessionId, jobId, leaseToken } = await claimedJob(cp.clients, "forged logs");
    const lines = new Recorder(jobLogTexts(cp.clients, jobId, leave.signal), leave.signal);
    await cp.clients.execution.appendJobLogs({ jobId, leaseToken, lines: [{ text: "real line 1" }] });
    // The follower subscribes before it replays, so a first line proves it live.
    await lines.until((seen) => seen.length >= 1);
    const lastSeq = (await cp.clients.sessions.getSession({ sessionId })).session!.lastSeq;
    const forgedLine = create(EventSchema, {
      sessionId,
      seq: lastSeq + 1n,
      itemId: jobId,
      time: toTimestamp(Date.now()),
      payload: { case: "jobLog", value: { line: 2n, text: forgedText("log line") } },
    });
    await forge(sessionId, forgedBytes(forgedLine));
    await cp.clients.execution.appendJobLogs({ jobId, leaseToken, lines: [{ text: "real line 2" }] });
    await cp.clients.execution.appendJobLogs({ jobId, leaseToken, lines: [{ text: "real line 3" }] });
    await lines.until((seen) => seen.includes("real line 3"));
    expect(lines.items).toEqual(["real line 1", "real line 2", "real line 3"]);
  });

  it("a runner's job watch is not cancelled by a forged cancel request, and still sees the real one", async () => {
    const { sessionId, jobId } = await claimedJob(cp.clients, "forged cancel");
    const reasons: string[] = [];
    let streamLive!: () => void;
    const live = new Promise<void>((resolve) => (streamLive = resolve));
    // The watch's own stream, observed: its first answer (a keep-alive at the latest) comes once it is live.
    const sessions: Clients["sessions"] = {
      ...cp.clients.sessions,
      streamEvents: async function* (request, options) {
        for await (const response of cp.clients.sessions.streamEvents(request, options)) {
          streamLive();
          yield response;
        }
      },
    };
    const cancelled = new Promise<void>((resolve) => {
      const watch = watchJobEvents({
        sessions,
        sessionId,
        jobId,
        onCancel: (reason) => (reasons.push(reason), resolve()),
        onGone: (detail) => (reasons.push(`gone: ${detail}`), resolve()),
        signal: leave.signal,
        logger: silentLogger,
      });
      void watch.done.then(resolve);
    });
    await live;
    const lastSeq = (await cp.clients.sessions.getSession({ sessionId })).session!.lastSeq;
    const forgedCancel = create(EventSchema, {
      sessionId,
      seq: lastSeq + 1n,
      itemId: jobId,
      time: toTimestamp(Date.now()),
      payload: { case: "jobCancelRequested", value: { reason: forgedText("cancel") } },
    });
    await forge(sessionId, forgedBytes(forgedCancel));
    await cp.clients.sessions.appendEvents({ sessionId, events: [{ ...assistantMessage("about the job"), itemId: jobId }] });
    await cp.clients.queues.cancel({ itemId: jobId, reason: "the person cancelled it" });
    await cancelled;
    expect(reasons).toEqual(["the person cancelled it"]);
  });
});

describe("forged events on the in-process bus", () => {
  let dir: TempDir;
  let store: Store;
  let bus: Bus;

  beforeAll(async () => {
    dir = await tempDir("pushpals-forged-");
    store = await openStore({ ...DEFAULT_OPTIONS, databaseUrl: "", dataDir: dir.path });
    bus = createMemoryBus();
  });
  afterAll(async () => {
    await bus?.close();
    await store?.close();
    await dir?.remove();
  });

  it("a follower delivers only what the store holds, whatever is published on the session's subject", async () => {
    const hub = new SessionHub(bus, store, silentLogger);
    // As the control plane wires them: its own commits reach its hub straight from the store's transaction.
    const commit = committer(bus, (events) => hub.offerCommitted(events));
    const { session } = await commit(store.createSession({ title: "forged in-process" }));
    const sessionId = session.id;
    const leave = new AbortController();
    const follower = new Recorder<FollowItem>(
      followSessionEvents(store, hub, { sessionId, afterSeq: 0n, live: true, keepaliveMs: 100, signal: leave.signal }),
      leave.signal,
      (items) => items.map((item) => (item.kind === "event" ? texts([item.event])[0] : "keepalive")),
    );
    // A keep-alive comes only from the live loop: the follower is past its replay.
    await follower.until((items) => items.some((item) => item.kind === "keepalive"));
    const lastSeq = (await store.getSession(sessionId))!.lastSeq;
    bus.publish(subjects.sessionEvents(sessionId), forgedBytes(assistantMessage(forgedText("next seq"), { sessionId, seq: lastSeq + 1n })));
    bus.publish(subjects.sessionEvents(sessionId), forgedBytes(assistantMessage(forgedText("existing seq"), { sessionId, seq: lastSeq })));
    bus.publish(subjects.sessionEvents(sessionId), encodeNotice({ sessionId, seq: lastSeq + 1n }));
    await committedEvents(commit, store.appendEvents(sessionId, [{ payload: assistantMessage("real 1").payload }]));
    await committedEvents(commit, store.appendEvents(sessionId, [{ payload: assistantMessage("real 2").payload }]));
    const delivered = () => follower.items.flatMap((item) => (item.kind === "event" ? [item.event] : []));
    await follower.until(() => texts(delivered()).includes("real 2"));
    leave.abort();

    const stored = await store.listEvents({ sessionId, afterSeq: 0n, limit: 100 });
    expect(texts(delivered())).toEqual(texts(stored));
    delivered().forEach((event, i) => expect(equals(EventSchema, event, stored[i]!)).toBe(true));
  });
});

async function* liveEvents(clients: Clients, sessionId: string, afterSeq: bigint, signal: AbortSignal): AsyncGenerator<Event> {
  for await (const response of clients.sessions.streamEvents({ sessionId, afterSeq }, { signal })) {
    if (response.message.case === "event") yield response.message.value;
  }
}

async function* jobLogTexts(clients: Clients, jobId: string, signal: AbortSignal): AsyncGenerator<string> {
  for await (const response of clients.execution.streamJobLogs({ jobId, follow: true }, { signal })) {
    if (response.message.case === "line") yield response.message.value.text;
  }
}

async function claimedJob(clients: Clients, title: string): Promise<{ sessionId: string; jobId: string; leaseToken: string }> {
  const sessionId = (await clients.sessions.createSession({ title })).session!.id;
  const payload = create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction: "echo hi" } } });
  await clients.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload });
  const claimed = await clients.queues.claim({ queue: QueueName.JOBS, workerId: `forged-bus-${title.replace(/\W/g, "-")}` });
  return { sessionId, jobId: claimed.item!.id, leaseToken: claimed.leaseToken };
}
