import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssistantMessageSchema } from "../../gen/pushpals/v1/events_pb.js";
import { openPostgresStore } from "../../services/control-plane/store/open-store.js";
import type { Store } from "../../services/control-plane/store/store.js";
import { freshDatabase, type FreshDatabase } from "../support/postgres.js";
import { DEFAULT_OPTIONS } from "./harness.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";

/**
 * postgres.js 3.4.9 can send a transaction's BEGIN on a pooled connection it has not
 * reserved, and hand a connection back to the pool mid-transaction, when connections'
 * pipelines fill (porsager/postgres#823, #1189). A small pool flooded with transactions
 * and reads makes that happen; the store must keep every transaction whole.
 */
describe("postgres store under a flooded pool", () => {
  let db: FreshDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await freshDatabase("pipeline");
    // max_pipeline 0 makes every BEGIN the query that "fills" its connection's pipeline: the case the
    // driver mishandles (porsager/postgres#1210), made certain instead of left to timing.
    store = await openPostgresStore(db.url, { ...DEFAULT_OPTIONS, poolSize: 2, maxPipeline: 0 });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it("keeps 600 concurrent appends whole and gap-free while 600 reads run beside them", async () => {
    const sessions = await Promise.all(Array.from({ length: 6 }, (_, i) => store.createSession({ title: `s${i}` })));
    const ids = sessions.map((s) => s.value.session.id);
    const appends = Array.from({ length: 600 }, (_, i) =>
      store.appendEvents(ids[i % ids.length]!, [
        { payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text: `a${i}`, source: MessageSource.CHAT }) } },
        { payload: { case: "assistantMessage", value: create(AssistantMessageSchema, { text: `b${i}`, source: MessageSource.CHAT }) } },
      ]),
    );
    const reads = Array.from({ length: 600 }, (_, i) => store.listEvents({ sessionId: ids[i % ids.length]!, afterSeq: 0n, limit: 5 }));
    const results = await Promise.allSettled([...appends, ...reads]);
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    for (const id of ids) {
      const events = await store.listEvents({ sessionId: id, afterSeq: 0n, limit: 1000 });
      // session_created + 100 appends of 2 events each, seqs 1..201 with no gap.
      expect(events.map((e) => Number(e.seq))).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
      // Each append's two events stayed together (a transaction was never split or merged).
      const texts = events.slice(1).map((e) => (e.payload.case === "assistantMessage" ? e.payload.value.text : ""));
      for (let i = 0; i < texts.length; i += 2) expect(texts[i]!.slice(1)).toBe(texts[i + 1]!.slice(1));
    }
  }, 60_000);
});
