import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { ItemPayloadSchema } from "../../gen/pushpals/v1/items_pb.js";
import { Lane } from "../../gen/pushpals/v1/task_pb.js";
import type { Clients } from "../../shared/clients.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/** Reads every page of a List RPC, returning the pages' ids so the split can be checked too. */
async function allPages(read: (pageToken: string) => Promise<{ ids: string[]; nextPageToken: string }>): Promise<string[][]> {
  const pages: string[][] = [];
  let token = "";
  do {
    const page = await read(token);
    pages.push(page.ids);
    token = page.nextPageToken;
    if (pages.length > 20) throw new Error("the listing never ended");
  } while (token !== "");
  return pages;
}

describe.each(["sqlite", "postgres"] as const)("List RPC pagination (%s store)", (store) => {
  let cp: TestControlPlane;
  let c: Clients;
  let jobId: string;
  const workerIds = ["w-e", "w-a", "w-d", "w-b", "w-c"];
  const artifactIds: string[] = [];

  beforeAll(async () => {
    cp = await startTestControlPlane({ store });
    c = cp.clients;
    for (const workerId of workerIds) await c.execution.heartbeat({ workerId, name: workerId, concurrency: 1 });
    const sessionId = (await c.sessions.createSession({ title: "pages" })).session!.id;
    const payload = create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction: "echo" } } });
    await c.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload });
    const claimed = await c.queues.claim({ queue: QueueName.JOBS, workerId: "w-a" });
    jobId = claimed.item!.id;
    for (const name of ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"]) {
      const { artifact } = await c.execution.putArtifact({ jobId, leaseToken: claimed.leaseToken, name, content: new TextEncoder().encode(name) });
      artifactIds.push(artifact!.id);
    }
  });
  afterAll(() => cp?.stop());

  it("ListWorkers: pages of page_size by id, each worker once, an empty token on the last page", async () => {
    const pages = await allPages(async (pageToken) => {
      const page = await c.execution.listWorkers({ pageSize: 2, pageToken });
      return { ids: page.workers.map((w) => w.id), nextPageToken: page.nextPageToken };
    });
    expect(pages).toEqual([["w-a", "w-b"], ["w-c", "w-d"], ["w-e"]]);
    const everything = await c.execution.listWorkers({});
    expect(everything.workers.map((w) => w.id)).toEqual(["w-a", "w-b", "w-c", "w-d", "w-e"]);
    expect(everything.nextPageToken).toBe("");
  });

  it("ListArtifacts: pages oldest first, each artifact once", async () => {
    const pages = await allPages(async (pageToken) => {
      const page = await c.execution.listArtifacts({ jobId, pageSize: 2, pageToken });
      return { ids: page.artifacts.map((a) => a.id), nextPageToken: page.nextPageToken };
    });
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(artifactIds);
    // A page exactly as large as what is left ends with an empty token, not an empty extra page.
    const exact = await c.execution.listArtifacts({ jobId, pageSize: 5 });
    expect(exact.artifacts).toHaveLength(5);
    expect(exact.nextPageToken).toBe("");
  });

  it("ListEvents: page_token pages through a session's log, each event once, in order", async () => {
    const sessionId = (await c.sessions.createSession({ title: "events" })).session!.id;
    for (const text of ["one", "two", "three", "four"]) await c.sessions.postMessage({ sessionId, text });
    const whole = await c.sessions.listEvents({ sessionId });
    const pages = await allPages(async (pageToken) => {
      const page = await c.sessions.listEvents({ sessionId, pageSize: 2, pageToken });
      expect(page.hasMore).toBe(page.nextPageToken !== "");
      return { ids: page.events.map((e) => String(e.seq)), nextPageToken: page.nextPageToken };
    });
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(whole.events.map((e) => String(e.seq)));
    await expect(
      c.sessions.listEvents({ sessionId: (await c.sessions.createSession({})).session!.id, pageToken: (await c.sessions.listEvents({ sessionId, pageSize: 1 })).nextPageToken }),
    ).rejects.toMatchObject({ rawMessage: expect.stringMatching(/^page_token: belongs to another session/) });
  });

  it("a page token of one job is refused for another", async () => {
    const first = await c.execution.listArtifacts({ jobId, pageSize: 1 });
    const sessionId = (await c.sessions.createSession({ title: "other" })).session!.id;
    const payload = create(ItemPayloadSchema, { kind: { case: "taskExecuteV2", value: { lane: Lane.DETERMINISTIC, instruction: "echo" } } });
    const other = (await c.queues.enqueue({ queue: QueueName.JOBS, sessionId, payload })).item!.id;
    await expect(c.execution.listArtifacts({ jobId: other, pageToken: first.nextPageToken })).rejects.toMatchObject({
      rawMessage: expect.stringMatching(/^page_token: names no artifact of job/),
    });
  });
});
