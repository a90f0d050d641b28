import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { connect as connectTcp } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ItemStatus, type Priority, QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { EventSchema, ItemClaimedSchema } from "../../gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { type EnqueueRequestSchema, FailMode } from "../../gen/pushpals/v1/queues_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import type { Clients } from "../../shared/clients.js";
import { durationFromMs } from "../../shared/time.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

const UNKNOWN_SESSION = "ses_01JD0000000000000000000000";
const UNKNOWN_JOB = "job_01JD0000000000000000000000";
const WRONG_TOKEN = "lse_01JD0000000000000000000000";

interface Fixture {
  sessionId: string;
  claimedJob: { id: string; token: string };
  finishedJob: { id: string; token: string };
}

type Case = [name: string, code: Code, call: (c: Clients, f: Fixture) => Promise<unknown>];

const job = (instruction: string, lane = Lane.DETERMINISTIC) => create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane, instruction } } });
const enqueue = (f: Fixture, init: MessageInitShape<typeof EnqueueRequestSchema>): MessageInitShape<typeof EnqueueRequestSchema> => ({
  queue: QueueName.JOBS,
  sessionId: f.sessionId,
  payload: job("echo hi"),
  ...init,
});

const cases: Case[] = [
  ["create session: title over 200 characters", Code.InvalidArgument, (c) => c.sessions.createSession({ title: "x".repeat(201) })],
  ["get session: missing id", Code.InvalidArgument, (c) => c.sessions.getSession({ sessionId: "" })],
  ["get session: malformed id", Code.InvalidArgument, (c) => c.sessions.getSession({ sessionId: "ses_../../etc" })],
  ["get session: unknown id", Code.NotFound, (c) => c.sessions.getSession({ sessionId: UNKNOWN_SESSION })],
  ["list sessions: page size 501", Code.InvalidArgument, (c) => c.sessions.listSessions({ pageSize: 501 })],
  ["list sessions: forged page token", Code.InvalidArgument, (c) => c.sessions.listSessions({ pageToken: "bm90LWFuLWlk" })],
  ["post message: empty text", Code.InvalidArgument, (c, f) => c.sessions.postMessage({ sessionId: f.sessionId, text: "   " })],
  ["post message: 70 KB of text", Code.InvalidArgument, (c, f) => c.sessions.postMessage({ sessionId: f.sessionId, text: "y".repeat(70_000) })],
  ["post message: unknown session", Code.NotFound, (c) => c.sessions.postMessage({ sessionId: UNKNOWN_SESSION, text: "hi" })],
  ["list events: limit 1001", Code.InvalidArgument, (c, f) => c.sessions.listEvents({ sessionId: f.sessionId, limit: 1001 })],
  ["list events: malformed item id", Code.InvalidArgument, (c, f) => c.sessions.listEvents({ sessionId: f.sessionId, itemId: "job_x" })],
  ["list events: page size 1001", Code.InvalidArgument, (c, f) => c.sessions.listEvents({ sessionId: f.sessionId, pageSize: 1001 })],
  ["list events: page size and limit both set", Code.InvalidArgument, (c, f) => c.sessions.listEvents({ sessionId: f.sessionId, pageSize: 5, limit: 5 })],
  [
    "list events: page token and after_seq both set",
    Code.InvalidArgument,
    async (c, f) => {
      const { nextPageToken } = await c.sessions.listEvents({ sessionId: f.sessionId, pageSize: 1 });
      return c.sessions.listEvents({ sessionId: f.sessionId, pageToken: nextPageToken, afterSeq: 1n });
    },
  ],
  ["list events: forged page token", Code.InvalidArgument, (c, f) => c.sessions.listEvents({ sessionId: f.sessionId, pageToken: "bm90LWFuLWlk" })],
  [
    "list events: page token of another session",
    Code.InvalidArgument,
    (c, f) => c.sessions.listEvents({ sessionId: f.sessionId, pageToken: Buffer.from(`${UNKNOWN_SESSION}/1`).toString("base64url") }),
  ],
  [
    "append events: a queue transition",
    Code.InvalidArgument,
    (c, f) => c.sessions.appendEvents({ sessionId: f.sessionId, events: [create(EventSchema, { payload: { case: "jobClaimed", value: create(ItemClaimedSchema) } })] }),
  ],
  ["append events: none", Code.InvalidArgument, (c, f) => c.sessions.appendEvents({ sessionId: f.sessionId, events: [] })],
  ["enqueue: queue unspecified", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { queue: QueueName.UNSPECIFIED }))],
  ["enqueue: unknown queue enum 99", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { queue: 99 as QueueName }))],
  ["enqueue: unknown priority enum 42", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { priority: 42 as Priority }))],
  ["enqueue: missing payload", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { payload: undefined }))],
  [
    "enqueue: request payload on the jobs queue",
    Code.InvalidArgument,
    (c, f) => c.queues.enqueue(enqueue(f, { payload: create(ItemPayloadSchema, { kind: { case: "request", value: { text: "hi" } } }) })),
  ],
  ["enqueue: job with lane unspecified", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { payload: job("echo", Lane.UNSPECIFIED) }))],
  ["enqueue: job with empty instruction", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { payload: job("") }))],
  [
    "enqueue: completion with a bad sha",
    Code.InvalidArgument,
    (c, f) =>
      c.queues.enqueue(
        enqueue(f, {
          queue: QueueName.COMPLETIONS,
          payload: create(ItemPayloadSchema, { kind: { case: "completion", value: { jobId: UNKNOWN_JOB, branch: "b", sha: "not-a-sha" } } }),
        }),
      ),
  ],
  ...["--upload-pack=touch /tmp/x", "-x", "a..b", "a b", "refs/heads/x.lock", ".hidden", "x@{1}", "x/", "a//b", "x~1", "x:y"].map(
    (branch): Case => [
      `enqueue: completion whose branch is ${JSON.stringify(branch)}`,
      Code.InvalidArgument,
      (c, f) =>
        c.queues.enqueue(
          enqueue(f, {
            queue: QueueName.COMPLETIONS,
            payload: create(ItemPayloadSchema, { kind: { case: "completion", value: { jobId: UNKNOWN_JOB, branch, sha: "a".repeat(40) } } }),
          }),
        ),
    ],
  ),
  [
    "enqueue: job whose base ref is an option",
    Code.InvalidArgument,
    (c, f) =>
      c.queues.enqueue(
        enqueue(f, {
          payload: create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction: "echo", baseRef: "--output=/tmp/x" } } }),
        }),
      ),
  ],
  [
    "enqueue: repair job whose onto ref is an option",
    Code.InvalidArgument,
    (c, f) =>
      c.queues.enqueue(
        enqueue(f, {
          payload: create(ItemPayloadSchema, {
            kind: { case: "taskExecuteV2", value: { lane: Lane.WORKER, instruction: "fix", repair: { branch: "agent/w/j", ontoRef: "-oops" } } },
          }),
        }),
      ),
  ],
  ["enqueue: max attempts 1000", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { maxAttempts: 1000 }))],
  ["enqueue: target worker with shell characters", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { targetWorkerId: "w;rm -rf /" }))],
  ["enqueue: delay of 30 days", Code.InvalidArgument, (c, f) => c.queues.enqueue(enqueue(f, { delay: durationFromMs(30 * 86_400_000) }))],
  ["enqueue: unknown session", Code.NotFound, (c, f) => c.queues.enqueue(enqueue(f, { sessionId: UNKNOWN_SESSION }))],
  ["claim: missing worker id", Code.InvalidArgument, (c) => c.queues.claim({ queue: QueueName.JOBS, workerId: "" })],
  ["claim: lease of half a second", Code.InvalidArgument, (c) => c.queues.claim({ queue: QueueName.JOBS, workerId: "w", leaseDuration: durationFromMs(500) })],
  ["claim: wait of two minutes", Code.InvalidArgument, (c) => c.queues.claim({ queue: QueueName.JOBS, workerId: "w", wait: durationFromMs(120_000) })],
  ["renew: malformed lease token", Code.InvalidArgument, (c, f) => c.queues.renewLease({ itemId: f.claimedJob.id, leaseToken: "guess" })],
  ["renew: wrong lease token", Code.FailedPrecondition, (c, f) => c.queues.renewLease({ itemId: f.claimedJob.id, leaseToken: WRONG_TOKEN })],
  ["complete: unknown item", Code.NotFound, (c) => c.queues.complete({ itemId: UNKNOWN_JOB, leaseToken: WRONG_TOKEN })],
  ["complete: stale lease token", Code.FailedPrecondition, (c, f) => c.queues.complete({ itemId: f.finishedJob.id, leaseToken: f.finishedJob.token })],
  ["fail: unknown mode 9", Code.InvalidArgument, (c, f) => c.queues.fail({ itemId: f.claimedJob.id, leaseToken: f.claimedJob.token, mode: 9 as FailMode })],
  ["fail: conflicted on the jobs queue", Code.InvalidArgument, (c, f) => c.queues.fail({ itemId: f.claimedJob.id, leaseToken: f.claimedJob.token, mode: FailMode.CONFLICTED })],
  ["cancel: a finished item", Code.FailedPrecondition, (c, f) => c.queues.cancel({ itemId: f.finishedJob.id })],
  ["list items: unknown status 99", Code.InvalidArgument, (c) => c.queues.listItems({ statuses: [99 as ItemStatus] })],
  ["slo: window of one second", Code.InvalidArgument, (c) => c.queues.getSlo({ queue: QueueName.JOBS, window: durationFromMs(1000) })],
  ["heartbeat: worker id with capitals and spaces", Code.InvalidArgument, (c) => c.execution.heartbeat({ workerId: "My Worker" })],
  ["append job logs: no lines", Code.InvalidArgument, (c, f) => c.execution.appendJobLogs({ jobId: f.claimedJob.id, leaseToken: f.claimedJob.token, lines: [] })],
  [
    "append job logs: a line number set by the caller",
    Code.InvalidArgument,
    (c, f) => c.execution.appendJobLogs({ jobId: f.claimedJob.id, leaseToken: f.claimedJob.token, lines: [{ line: 5n, text: "numbered" }] }),
  ],
  [
    "append job logs: finished job",
    Code.FailedPrecondition,
    (c, f) => c.execution.appendJobLogs({ jobId: f.finishedJob.id, leaseToken: f.finishedJob.token, lines: [{ text: "late" }] }),
  ],
  [
    "put artifact: name with a path",
    Code.InvalidArgument,
    (c, f) => c.execution.putArtifact({ jobId: f.claimedJob.id, leaseToken: f.claimedJob.token, name: "../../etc/passwd", content: new Uint8Array(1) }),
  ],
  ["get artifact: unknown id", Code.NotFound, (c) => c.execution.getArtifact({ artifactId: "art_01JD0000000000000000000000" })],
  ["list workers: page size 501", Code.InvalidArgument, (c) => c.execution.listWorkers({ pageSize: 501 })],
  ["list workers: forged page token", Code.InvalidArgument, (c) => c.execution.listWorkers({ pageToken: Buffer.from("No Such/Worker").toString("base64url") })],
  ["list artifacts: page size 501", Code.InvalidArgument, (c, f) => c.execution.listArtifacts({ jobId: f.claimedJob.id, pageSize: 501 })],
  ["list artifacts: forged page token", Code.InvalidArgument, (c, f) => c.execution.listArtifacts({ jobId: f.claimedJob.id, pageToken: "bm90LWFuLWlk" })],
  [
    "list artifacts: a token naming no artifact of the job",
    Code.InvalidArgument,
    (c, f) => c.execution.listArtifacts({ jobId: f.claimedJob.id, pageToken: Buffer.from("art_01JD0000000000000000000000").toString("base64url") }),
  ],
  [
    "stream events: cursor beyond the log",
    Code.InvalidArgument,
    async (c, f) => {
      for await (const _ of c.sessions.streamEvents({ sessionId: f.sessionId, afterSeq: 1_000_000n })) break;
    },
  ],
  [
    "stream job logs: unknown job",
    Code.NotFound,
    async (c) => {
      for await (const _ of c.execution.streamJobLogs({ jobId: UNKNOWN_JOB })) break;
    },
  ],
];

describe("bad input to the control plane", () => {
  let cp: TestControlPlane;
  let fixture: Fixture;

  beforeAll(async () => {
    cp = await startTestControlPlane();
    const c = cp.clients;
    const sessionId = (await c.sessions.createSession({ title: "bad input" })).session!.id;
    await c.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("echo finished") });
    const finished = await c.queues.claim({ queue: QueueName.JOBS, workerId: "w-finished" });
    await c.queues.complete({ itemId: finished.item!.id, leaseToken: finished.leaseToken });
    await c.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload: job("echo claimed") });
    const claimed = await c.queues.claim({ queue: QueueName.JOBS, workerId: "w-claimed" });
    fixture = {
      sessionId,
      claimedJob: { id: claimed.item!.id, token: claimed.leaseToken },
      finishedJob: { id: finished.item!.id, token: finished.leaseToken },
    };
  });
  afterAll(() => cp?.stop());

  it("has at least 30 cases", () => expect(cases.length + WIRE_CASES).toBeGreaterThanOrEqual(30));

  it.each(cases)("%s → %s", async (_name, code, call) => {
    const error = await call(cp.clients, fixture).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect({ code: Code[(error as ConnectError).code], message: (error as ConnectError).rawMessage }).toMatchObject({ code: Code[code] });
    // A clear message, never a stack trace.
    expect((error as ConnectError).rawMessage).not.toMatch(/\n\s+at /);
    await expectStillServing(cp.clients, fixture);
  });

  it("names the offending field in snake_case", async () => {
    const error = await cp.clients.queues.enqueue(enqueue(fixture, { payload: job("") })).catch((e: unknown) => e as ConnectError);
    expect((error as ConnectError).rawMessage).toContain("payload.task_execute_v2.instruction");
    const branch = await cp.clients.queues
      .enqueue(
        enqueue(fixture, {
          queue: QueueName.COMPLETIONS,
          payload: create(ItemPayloadSchema, { kind: { case: "completion", value: { jobId: UNKNOWN_JOB, branch: "--upload-pack=x", sha: "a".repeat(40) } } }),
        }),
      )
      .catch((e: unknown) => e as ConnectError);
    expect((branch as ConnectError).rawMessage).toMatch(/^payload\.completion\.branch: starts with "-", which git reads as an option/);
    const numbered = await cp.clients.execution
      .appendJobLogs({ jobId: fixture.claimedJob.id, leaseToken: fixture.claimedJob.token, lines: [{ text: "a" }, { line: 9n, text: "b" }] })
      .catch((e: unknown) => e as ConnectError);
    expect((numbered as ConnectError).rawMessage).toBe("lines[1].line: must be 0 (unset): the control plane numbers the lines");
  });

  it("leaves no half-written state behind a refused request", async () => {
    const before = await cp.clients.sessions.getSession({ sessionId: fixture.sessionId });
    await cp.clients.queues.enqueue(enqueue(fixture, { maxAttempts: 1000 })).catch(() => undefined);
    const completionsBefore = (await cp.clients.queues.listItems({ queue: QueueName.COMPLETIONS })).items.length;
    await cp.clients.queues
      .enqueue(
        enqueue(fixture, {
          queue: QueueName.COMPLETIONS,
          payload: create(ItemPayloadSchema, { kind: { case: "completion", value: { jobId: UNKNOWN_JOB, branch: "-x", sha: "a".repeat(40) } } }),
        }),
      )
      .catch(() => undefined);
    expect((await cp.clients.queues.listItems({ queue: QueueName.COMPLETIONS })).items.length).toBe(completionsBefore);
    await cp.clients.queues.complete({ itemId: fixture.finishedJob.id, leaseToken: fixture.finishedJob.token }).catch(() => undefined);
    const after = await cp.clients.sessions.getSession({ sessionId: fixture.sessionId });
    expect(after.session?.lastSeq).toBe(before.session?.lastSeq);
  });

  const WIRE_CASES = 6;
  describe("on the wire", () => {
    const post = (path: string, contentType: string, body: string | Uint8Array) => fetch(`${cp.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });

    it("garbage protobuf bytes → invalid_argument", async () => {
      const res = await post("/pushpals.v1.SessionService/GetSession", "application/proto", new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01]));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
      await expectStillServing(cp.clients, fixture);
    });

    it("malformed JSON → invalid_argument", async () => {
      const res = await post("/pushpals.v1.SessionService/GetSession", "application/json", "{not json");
      expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
      await expectStillServing(cp.clients, fixture);
    });

    it("a content type no protocol speaks → 415", async () => {
      const res = await post("/pushpals.v1.SessionService/GetSession", "text/plain", "hello");
      expect(res.status).toBe(415);
      await expectStillServing(cp.clients, fixture);
    });

    it("an unknown method → 404", async () => {
      const res = await post("/pushpals.v1.SessionService/DropAllTables", "application/json", "{}");
      expect(res.status).toBe(404);
      await expectStillServing(cp.clients, fixture);
    });

    it("an oversized request → resource_exhausted", async () => {
      const res = await post(
        "/pushpals.v1.SessionService/PostMessage",
        "application/json",
        JSON.stringify({ sessionId: fixture.sessionId, text: "z".repeat(cp.config.server.maxRequestBytes + 10) }),
      );
      expect(((await res.json()) as { code: string }).code).toBe("resource_exhausted");
      await expectStillServing(cp.clients, fixture);
    });

    it("raw garbage on a TCP connection, and on an HTTP/2 connection after the preface", async () => {
      const { port } = new URL(cp.url);
      for (const bytes of [Buffer.from("\x00\x01\x02garbage\r\n\r\n"), Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.alloc(64, 0xee)])]) {
        await new Promise<void>((resolve) => {
          const socket = connectTcp({ host: "127.0.0.1", port: Number(port) }, () => socket.end(bytes));
          socket.on("data", () => {});
          socket.on("close", () => resolve());
          socket.on("error", () => resolve());
        });
      }
      await expectStillServing(cp.clients, fixture);
    });
  });
});

async function expectStillServing(clients: Clients, fixture: Fixture): Promise<void> {
  const { session } = await clients.sessions.getSession({ sessionId: fixture.sessionId });
  expect(session?.id).toBe(fixture.sessionId);
}
