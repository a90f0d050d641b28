import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IntegrationStepSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { checkOutputLog, CHECK_OUTPUT_STAGE } from "../../services/integration/worker/check-output-log.js";
import { eventRecorder, type EventRecorder } from "../../services/integration/worker/event-recorder.js";
import { silentLogger } from "../../shared/log.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { waitFor } from "../sandbox/fixtures.js";

/** The event recorder and the check-output log against a real control plane (the lease keeper: tests/kernel/lease-keeper.test.ts). */
describe("worker parts", () => {
  let cp: TestControlPlane;
  let _sessionId: string;

  beforeAll(async () => {
    cp = await startTestControlPlane();
    _sessionId = (await cp.clients.sessions.createSession({ title: "parts" })).session?.id ?? "";
  });
  afterAll(async () => {
    await cp.stop();
  });

  it("the recorder appends everything in the order recorded, batching past AppendEvents' 100 per call", async () => {
    const { session } = await cp.clients.sessions.createSession({ title: "recorder" });
    const id = session?.id ?? "";
    const recorder = eventRecorder(cp.clients.sessions, { sessionId: id, itemId: "cmp_01JD0000000000000000000000" }, silentLogger);
    for (let i = 0; i < 250; i++) recorder.record({ case: "integrationStep", value: create(IntegrationStepSchema, { stage: "check", detail: String(i) }) });
    await recorder.flush();
    const { events } = await cp.clients.sessions.listEvents({ sessionId: id, limit: 1000 });
    const steps = events.filter((e) => e.payload.case === "integrationStep");
    expect(steps.map((e) => (e.payload.case === "integrationStep" ? e.payload.value.detail : ""))).toEqual(Array.from({ length: 250 }, (_, i) => String(i)));
    expect(steps.every((e) => e.itemId === "cmp_01JD0000000000000000000000")).toBe(true);
  });

  it("a recorder whose appends fail drops them without throwing or stalling", async () => {
    const recorder = eventRecorder(cp.clients.sessions, { sessionId: "ses_01JD0000000000000000000000", itemId: "" }, silentLogger);
    recorder.record({ case: "integrationStep", value: create(IntegrationStepSchema, { stage: "sync" }) });
    await expect(recorder.flush()).resolves.toBeUndefined();
  });
});

describe("check output log", () => {
  function memoryRecorder(): EventRecorder & { events: Event["payload"][] } {
    const events: Event["payload"][] = [];
    return { events, record: (payload) => void events.push(payload), flush: async () => undefined };
  }
  const check = { name: "test", command: "npm test", timeoutMs: 1000 };
  const details = (events: Event["payload"][]) => events.map((p) => (p.case === "integrationStep" ? p.value.detail : ""));

  it("gathers chunks into few events, flushes on size and on demand, names the check", () => {
    const recorder = memoryRecorder();
    const log = checkOutputLog(recorder, { flushChars: 10, flushMs: 60_000, maxCharsPerCheck: 1000 });
    log.push(check, "abc");
    log.push(check, "def");
    expect(recorder.events).toHaveLength(0);
    log.push(check, "ghijk");
    expect(details(recorder.events)).toEqual(["abcdefghijk"]);
    log.push(check, "tail");
    log.flush();
    expect(details(recorder.events)).toEqual(["abcdefghijk", "tail"]);
    const first = recorder.events[0];
    expect(first?.case === "integrationStep" && first.value).toMatchObject({ stage: CHECK_OUTPUT_STAGE, check: { name: "test", command: "npm test" } });
    log.close();
  });

  it("flushes on a timer when output trickles", async () => {
    const recorder = memoryRecorder();
    const log = checkOutputLog(recorder, { flushChars: 1000, flushMs: 30, maxCharsPerCheck: 1000 });
    log.push(check, "slow");
    // Far below flushChars: only the 30 ms timer can flush it.
    await waitFor("the timer's flush", () => recorder.events.length > 0, 5_000);
    expect(details(recorder.events)).toEqual(["slow"]);
    log.close();
  });

  it("caps live output per check and says so once; the next check starts fresh", () => {
    const recorder = memoryRecorder();
    const log = checkOutputLog(recorder, { flushChars: 1000, flushMs: 60_000, maxCharsPerCheck: 8 });
    log.push(check, "12345");
    log.push(check, "67890");
    log.push(check, "more and more");
    const other = { ...check, name: "lint" };
    log.push(other, "ok");
    log.close();
    expect(details(recorder.events)).toEqual(["12345678", expect.stringMatching(/^\[live output past 8 characters is not recorded/), "ok"]);
  });
});
