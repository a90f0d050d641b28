import { create, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as chat from "../../gen/pushpals/v1/chat_pb.js";
import * as common from "../../gen/pushpals/v1/common_pb.js";
import * as events from "../../gen/pushpals/v1/events_pb.js";
import * as execution from "../../gen/pushpals/v1/execution_pb.js";
import * as integration from "../../gen/pushpals/v1/integration_pb.js";
import * as items from "../../gen/pushpals/v1/items_pb.js";
import * as planning from "../../gen/pushpals/v1/planning_pb.js";
import * as queues from "../../gen/pushpals/v1/queues_pb.js";
import * as sessions from "../../gen/pushpals/v1/sessions_pb.js";
import * as system from "../../gen/pushpals/v1/system_pb.js";
import * as task from "../../gen/pushpals/v1/task_pb.js";
import { durationFromMs } from "../../shared/time.js";
import { newId } from "../../shared/ids.js";
import { boundedString, duration, enumValue, id, pageSize, parseRequest, snakeCase } from "../../shared/rpc/validate.js";

function invalid(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    return (error as ConnectError).rawMessage;
  }
  throw new Error("expected InvalidArgument, but the request passed");
}

const enqueueInput = z.object({
  queue: enumValue(common.QueueNameSchema),
  sessionId: id("session"),
  priority: enumValue(common.PrioritySchema, { allowUnspecified: true }),
  delay: duration({ minMs: 0, maxMs: 3_600_000 }),
  payload: z.object({
    kind: z.discriminatedUnion("case", [
      z.object({
        case: z.literal("taskExecuteV2"),
        value: z.object({
          instruction: boundedString("instruction", 20),
          planning: z.object({ scope: z.object({ writeGlobs: z.array(boundedString("glob", 8)) }) }),
        }),
      }),
      z.object({ case: z.literal("request"), value: z.object({ text: boundedString("request text", 100) }) }),
    ]),
  }),
});

describe("parseRequest", () => {
  it("returns the parsed value when the request is good", () => {
    const request = create(queues.EnqueueRequestSchema, {
      queue: common.QueueName.JOBS,
      sessionId: newId("session"),
      delay: durationFromMs(1500),
      payload: { kind: { case: "taskExecuteV2", value: { instruction: "run the tests", planning: { scope: { writeGlobs: ["src/**"] } } } } },
    });
    const parsed = parseRequest(enqueueInput, request);
    expect(parsed.sessionId).toBe(request.sessionId);
    expect(parsed.payload.kind.case).toBe("taskExecuteV2");
  });

  it("lists every problem in one InvalidArgument, each under its proto field path", () => {
    const request = create(queues.EnqueueRequestSchema, {
      queue: 7 as common.QueueName,
      sessionId: "session-1",
      priority: 0,
      delay: durationFromMs(2 * 3_600_000),
      payload: { kind: { case: "taskExecuteV2", value: { instruction: "", planning: { scope: { writeGlobs: ["ok/**", "far/too/long/**"] } } } } },
    });
    expect(invalid(() => parseRequest(enqueueInput, request)).split("; ")).toEqual([
      "queue: must be one of QUEUE_NAME_REQUESTS, QUEUE_NAME_JOBS, QUEUE_NAME_COMPLETIONS (got 7)",
      'session_id: must be a session id like ses_01J… (got "session-1")',
      "delay: must be between 0s and 1h (got 2h)",
      "payload.kind.task_execute_v2.instruction: is required: give the instruction",
      "payload.kind.task_execute_v2.planning.scope.write_globs[1]: is 15 characters long, more than the 8 a glob may have",
    ]);
  });

  it("names the oneof itself when the wrong case is set", () => {
    const request = create(queues.EnqueueRequestSchema, {
      queue: common.QueueName.JOBS,
      sessionId: newId("session"),
      payload: { kind: { case: "completion", value: {} } },
    });
    expect(invalid(() => parseRequest(enqueueInput, request))).toMatch(/^payload\.kind: /);
  });

  it("says 'request' for a problem with the whole message, and caps very long lists", () => {
    expect(invalid(() => parseRequest(z.object({ a: z.string() }), "not an object"))).toMatch(/^request: /);
    const many = z.object({ globs: z.array(z.string().max(1)) });
    const message = invalid(() => parseRequest(many, { globs: Array.from({ length: 30 }, () => "long") }));
    expect(message.split("; ")).toHaveLength(21);
    expect(message).toMatch(/… and 10 more$/);
  });

  it('writes map keys as ["key"] inside protobuf messages', () => {
    const schema = z.object({ labels: z.record(z.string(), boundedString("label", 3)) });
    const message = { $typeName: "test.Labelled", labels: { teamName: "platform" } };
    expect(invalid(() => parseRequest(schema, message))).toBe('labels["teamName"]: is 8 characters long, more than the 3 a label may have');
  });
});

describe("field pieces", () => {
  it("id(): empty means missing, other kinds are refused", () => {
    const schema = z.object({ jobId: id("job") });
    expect(invalid(() => parseRequest(schema, { jobId: "" }))).toBe("job_id: is required: a job id like job_01J…");
    expect(invalid(() => parseRequest(schema, { jobId: newId("session") }))).toMatch(/^job_id: must be a job id like job_01J… \(got "ses_/);
    expect(parseRequest(schema, { jobId: newId("job") }).jobId).toMatch(/^job_/);
  });

  it("enumValue(): unspecified only when allowed; unknown numbers never", () => {
    const strict = z.object({ priority: enumValue(common.PrioritySchema) });
    expect(invalid(() => parseRequest(strict, { priority: 0 }))).toBe("priority: is unspecified: set it to one of PRIORITY_INTERACTIVE, PRIORITY_NORMAL, PRIORITY_BACKGROUND");
    expect(invalid(() => parseRequest(strict, { priority: 42 }))).toMatch(/\(got 42\)$/);
    const loose = z.object({ priority: enumValue(common.PrioritySchema, { allowUnspecified: true }) });
    expect(parseRequest(loose, { priority: 0 }).priority).toBe(common.Priority.UNSPECIFIED);
    expect(invalid(() => parseRequest(loose, { priority: -1 }))).toMatch(/PRIORITY_UNSPECIFIED, PRIORITY_INTERACTIVE/);
  });

  it("boundedString(): required by default, refuses NUL characters", () => {
    const schema = z.object({ title: boundedString("title", 10), note: boundedString("note", 10, { required: false }) });
    expect(parseRequest(schema, { title: "ok", note: "" })).toEqual({ title: "ok", note: "" });
    expect(invalid(() => parseRequest(schema, { title: "   ", note: "a\u0000b" })).split("; ")).toEqual([
      "title: is required: give the title",
      "note: contains a NUL character, which the note cannot hold",
    ]);
  });

  it("duration(): bounds, required, and malformed values", () => {
    const schema = z.object({ wait: duration({ minMs: 100, maxMs: 60_000, required: true }) });
    expect(parseRequest(schema, { wait: durationFromMs(250) }).wait?.nanos).toBe(250_000_000);
    expect(invalid(() => parseRequest(schema, { wait: undefined }))).toBe("wait: is required: a duration between 100ms and 1m");
    expect(invalid(() => parseRequest(schema, { wait: durationFromMs(50) }))).toBe("wait: must be between 100ms and 1m (got 50ms)");
    expect(invalid(() => parseRequest(schema, { wait: { seconds: 1n, nanos: -5 } }))).toMatch(/seconds and nanos must share a sign/);
  });

  it("pageSize(): 0 means the fallback, above max is refused", () => {
    const schema = z.object({ pageSize: pageSize({ fallback: 50, max: 500 }) });
    expect(parseRequest(schema, { pageSize: 0 }).pageSize).toBe(50);
    expect(parseRequest(schema, { pageSize: 7 }).pageSize).toBe(7);
    expect(invalid(() => parseRequest(schema, { pageSize: 501 }))).toBe("page_size: must be between 1 and 500, or 0 for 50 (got 501)");
  });
});

describe("snakeCase", () => {
  // Guards the naming rule parseRequest relies on: if a proto field is ever named
  // so that lowerCamelCase cannot be undone (field_1, a__b), this fails and says which.
  it("recovers every pushpals.v1 field's proto name from its protobuf-es name", () => {
    const files = [chat, common, events, execution, integration, items, planning, queues, sessions, system, task].map((module) =>
      Object.values(module).find((value): value is { kind: "file"; messages: DescMessage[] } => isFile(value)),
    );
    const mismatches: string[] = [];
    const fields = (message: DescMessage): void => {
      for (const field of message.fields) if (snakeCase(field.localName) !== field.name) mismatches.push(`${message.typeName}.${field.name}`);
      for (const oneof of message.oneofs) if (snakeCase(oneof.localName) !== oneof.name) mismatches.push(`${message.typeName}.${oneof.name}`);
      message.nestedMessages.forEach(fields);
    };
    let count = 0;
    for (const file of files) {
      expect(file).toBeDefined();
      for (const message of file?.messages ?? []) {
        fields(message);
        count += message.fields.length;
      }
    }
    expect(count).toBeGreaterThan(100);
    expect(mismatches).toEqual([]);
  });
});

function isFile(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "file";
}
