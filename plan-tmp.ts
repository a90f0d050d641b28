import Database from "better-sqlite3";
import postgres from "postgres";
import { create, fromBinary } from "@bufbuild/protobuf";
import { rmSync } from "node:fs";
import { Priority, QueueName } from "./gen/pushpals/v1/common_pb.js";
import { AgentStepSchema } from "./gen/pushpals/v1/events_pb.js";
import { ItemPayloadSchema } from "./gen/pushpals/v1/items_pb.js";
import { benchPayload } from "./bench/support/prefill.js";
import { openPostgresStore, openSqliteStore } from "./services/control-plane/store/open-store.js";
import type { Store } from "./services/control-plane/store/store.js";
const OPTS = { defaultMaxAttempts: 3, backoffBaseMs: 2000, backoffMaxMs: 300_000, workerStaleMs: 30_000 };
async function fill(store: Store) {
  const s = (await store.createSession({ title: "p" })).value.session.id;
  const payload = fromBinary(ItemPayloadSchema, benchPayload());
  let job = "";
  for (let i = 0; i < 300; i++) {
    job = (await store.enqueue({ queue: QueueName.JOBS, sessionId: s, priority: Priority.NORMAL, payload })).value.item.id;
    await store.appendEvents(s, Array.from({ length: 10 }, () => ({ itemId: job, payload: { case: "agentStep" as const, value: create(AgentStepSchema, { step: 1 }) } })));
  }
  return { s, job };
}
const q = (s: string, j: string | undefined) => `SELECT e.seq, e.time, coalesce(q.id, e.item_id) AS item_id, e.objective_id, e.data
      FROM events e LEFT JOIN queue_items q ON q.seq = e.item_seq
     WHERE e.session_key = (SELECT session_key FROM sessions WHERE id = '${s}') AND e.seq > 3 ${j ? `AND e.item_seq = (SELECT coalesce(max(seq), 0) FROM queue_items WHERE id = '${j}') AND e.item_id = (SELECT CASE WHEN count(*) = 0 THEN CAST('${j}' AS text) ELSE '' END FROM queue_items WHERE id = '${j}')` : ""}
     ORDER BY e.seq LIMIT 10`;
const file = "/tmp/plan.db";
rmSync(file, { force: true });
let store = await openSqliteStore(file, OPTS);
const a = await fill(store);
await store.close();
const db = new Database(file);
for (const an of [false, true]) {
  if (an) db.exec("ANALYZE");
  for (const j of [undefined, a.job]) console.log(`analyze=${an}`, db.prepare("EXPLAIN QUERY PLAN " + q(a.s, j)).all().map((r: any) => r.detail).join(" | "));
}
db.close();
const admin = postgres("postgres://postgres@127.0.0.1:5432/test", { max: 1, onnotice: () => {} });
await admin.unsafe("DROP DATABASE IF EXISTS plan_tmp"); await admin.unsafe("CREATE DATABASE plan_tmp"); await admin.end();
const url = "postgres://postgres@127.0.0.1:5432/plan_tmp";
store = await openPostgresStore(url, OPTS);
const b = await fill(store);
await store.close();
const sql = postgres(url, { max: 1, onnotice: () => {} });
await sql.unsafe("ANALYZE");
for (const j of [undefined, b.job]) console.log((await sql.unsafe("EXPLAIN " + q(b.s, j))).map((r: any) => r["QUERY PLAN"]).join("\n"), "\n--");
await sql.end();
const admin2 = postgres("postgres://postgres@127.0.0.1:5432/test", { max: 1, onnotice: () => {} });
await admin2.unsafe("DROP DATABASE plan_tmp"); await admin2.end();
