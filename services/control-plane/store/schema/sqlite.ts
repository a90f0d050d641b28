import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * The SQLite tables. drizzle-kit turns this file into migrations/sqlite/*.sql; the store
 * itself talks SQL (see ../sql/). Keep it column-for-column equal to ./postgres.ts:
 * times are epoch milliseconds, flags are 0/1 integers, enums are their proto numbers,
 * messages are protobuf binary.
 */

// Partial-index predicates are literals because SQLite only uses a partial index when
// the query repeats the same literal (ItemStatus.PENDING = 1, ItemStatus.CLAIMED = 2).
const PENDING = sql.raw("status = 1");
const CLAIMED = sql.raw("status = 2");
const HAS_KEY = sql.raw("idempotency_key <> ''");

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    idempotencyKey: text("idempotency_key").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    lastSeq: integer("last_seq").notNull().default(0),
    /** The autonomy objective whose session this is; every event appended here carries it. */
    objectiveId: text("objective_id").notNull().default(""),
    /**
     * The session's number in events rows, handed out by createSession (max + 1: SQLite has one writer): events store it
     * instead of the 30-character id, in the row and in both its indexes (issue 17, bytes per event).
     */
    sessionKey: integer("session_key").notNull(),
  },
  (t) => [
    uniqueIndex("sessions_idempotency_key").on(t.idempotencyKey).where(HAS_KEY),
    index("sessions_created").on(t.createdAt, t.id),
    uniqueIndex("sessions_session_key").on(t.sessionKey),
  ],
);

export const events = sqliteTable(
  "events",
  {
    sessionKey: integer("session_key")
      .notNull()
      .references(() => sessions.sessionKey),
    seq: integer("seq").notNull(),
    time: integer("time").notNull(),
    /** The item's queue_items.seq, 0 when the event is about no queue item (ids are read back through it). */
    itemSeq: integer("item_seq").notNull().default(0),
    /** Only for an item id that names no queue item (item_seq 0); '' otherwise, so no id is lost. */
    itemId: text("item_id").notNull().default(""),
    payloadCase: text("payload_case").notNull(),
    /** Copied from the session at append time (empty outside autonomy). */
    objectiveId: text("objective_id").notNull().default(""),
    data: blob("data", { mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionKey, t.seq] }), index("events_item").on(t.sessionKey, t.itemSeq, t.itemId, t.seq)],
);

export const queueItems = sqliteTable(
  "queue_items",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    queue: integer("queue").notNull(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id),
    priority: integer("priority").notNull(),
    status: integer("status").notNull(),
    payload: blob("payload", { mode: "buffer" }).notNull(),
    result: blob("result", { mode: "buffer" }),
    idempotencyKey: text("idempotency_key").notNull().default(""),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    claimedBy: text("claimed_by").notNull().default(""),
    targetWorkerId: text("target_worker_id").notNull().default(""),
    leaseToken: text("lease_token").notNull().default(""),
    leaseExpiresAt: integer("lease_expires_at"),
    cancelRequested: integer("cancel_requested").notNull().default(0),
    cancelReason: text("cancel_reason").notNull().default(""),
    lastError: text("last_error").notNull().default(""),
    parentId: text("parent_id").notNull().default(""),
    enqueuedAt: integer("enqueued_at").notNull(),
    availableAt: integer("available_at").notNull(),
    claimedAt: integer("claimed_at"),
    firstClaimedAt: integer("first_claimed_at"),
    finishedAt: integer("finished_at"),
    lastLogLine: integer("last_log_line").notNull().default(0),
    traceParent: text("trace_parent").notNull().default(""),
  },
  (t) => [
    index("queue_items_claim").on(t.queue, t.priority, t.seq).where(PENDING),
    index("queue_items_lease").on(t.queue, t.leaseExpiresAt).where(CLAIMED),
    index("queue_items_worker").on(t.claimedBy).where(CLAIMED),
    uniqueIndex("queue_items_idempotency_key").on(t.queue, t.idempotencyKey).where(HAS_KEY),
    // Listings newest first: ListItems(queue, …) for the planner's context, ListItems(status, …) for `pushpals status`.
    index("queue_items_queue").on(t.queue, t.seq),
    index("queue_items_status").on(t.status, t.seq),
    index("queue_items_finished").on(t.queue, t.finishedAt),
    index("queue_items_claimed").on(t.queue, t.claimedAt),
    index("queue_items_session").on(t.sessionId, t.seq),
  ],
);

/**
 * How many items are pending, claimed or dead-lettered, per queue, band and block of
 * 1024 seqs, kept by triggers on queue_items (see the migration) so that depths and
 * queue positions read a few hundred counters instead of counting every pending row.
 * A block's count is split over 16 stripes (seq % 16) so concurrent claimers of
 * neighbouring items do not wait on one counter row on Postgres; empty rows are deleted.
 */
export const itemCounts = sqliteTable(
  "item_counts",
  {
    queue: integer("queue").notNull(),
    status: integer("status").notNull(),
    priority: integer("priority").notNull(),
    block: integer("block").notNull(),
    stripe: integer("stripe").notNull(),
    n: integer("n").notNull(),
  },
  (t) => [primaryKey({ columns: [t.queue, t.status, t.priority, t.block, t.stripe] })],
);

export const workers = sqliteTable("workers", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  host: text("host").notNull(),
  /** JSON array of driver names. */
  drivers: text("drivers").notNull(),
  concurrency: integer("concurrency").notNull(),
  /** JSON array of job ids. */
  activeJobIds: text("active_job_ids").notNull(),
  /** JSON object: job id → what it waits on (a JobWaiting number), for the jobs that wait. */
  activeJobWaiting: text("active_job_waiting").notNull().default("{}"),
  version: text("version").notNull(),
  firstSeenAt: integer("first_seen_at").notNull(),
  lastHeartbeatAt: integer("last_heartbeat_at").notNull(),
});

export const artifacts = sqliteTable(
  "artifacts",
  {
    id: text("id").primaryKey(),
    jobId: text("job_id")
      .notNull()
      .references(() => queueItems.id),
    name: text("name").notNull(),
    mediaType: text("media_type").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    createdAt: integer("created_at").notNull(),
    content: blob("content", { mode: "buffer" }).notNull(),
  },
  (t) => [index("artifacts_job").on(t.jobId, t.createdAt)],
);

// ApprovalStatus.PENDING = 1.
const APPROVAL_PENDING = sql.raw("status = 1");

export const approvals = sqliteTable(
  "approvals",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id),
    itemId: text("item_id").notNull().default(""),
    kind: integer("kind").notNull(),
    subject: text("subject").notNull(),
    rule: text("rule").notNull(),
    timeoutAction: integer("timeout_action").notNull(),
    status: integer("status").notNull(),
    answeredBy: text("answered_by").notNull().default(""),
    comment: text("comment").notNull().default(""),
    idempotencyKey: text("idempotency_key").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    answeredAt: integer("answered_at"),
    timedOut: integer("timed_out").notNull().default(0),
  },
  (t) => [
    uniqueIndex("approvals_idempotency_key").on(t.idempotencyKey),
    index("approvals_expiry").on(t.expiresAt).where(APPROVAL_PENDING),
    index("approvals_session").on(t.sessionId, t.createdAt),
  ],
);

/** The autonomy switch and health counters: one row (id 1), made on first use from config. */
export const autonomyState = sqliteTable("autonomy_state", {
  id: integer("id").primaryKey(),
  mode: integer("mode").notNull(),
  frozenUntil: integer("frozen_until"),
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  updatedBy: text("updated_by").notNull(),
  updatedAt: integer("updated_at").notNull(),
  auditSessionId: text("audit_session_id").notNull(),
  /** The dispatcher's latest AutonomyEvaluation, protobuf binary. */
  evaluation: blob("evaluation"),
});

/** The dispatch lock: one row per lock name ("dispatch"). */
export const autonomyLeases = sqliteTable("autonomy_leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: integer("expires_at").notNull(),
  acquiredAt: integer("acquired_at").notNull(),
});

export const autonomyObjectives = sqliteTable(
  "autonomy_objectives",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull(),
    kind: text("kind").notNull(),
    target: text("target").notNull(),
    title: text("title").notNull(),
    evidence: text("evidence").notNull(),
    score: real("score").notNull(),
    status: integer("status").notNull(),
    outcome: integer("outcome").notNull().default(0),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id),
    requestId: text("request_id").notNull().default(""),
    approvalId: text("approval_id").notNull().default(""),
    comment: text("comment").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    dispatchedAt: integer("dispatched_at"),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("autonomy_objectives_key").on(t.key, t.createdAt), index("autonomy_objectives_status").on(t.status), index("autonomy_objectives_created").on(t.createdAt, t.id)],
);

/** Per kind: the exponential moving average of outcomes (merged 1, else 0). */
export const autonomyPriors = sqliteTable("autonomy_priors", {
  kind: text("kind").primaryKey(),
  value: real("value").notNull(),
  samples: integer("samples").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
