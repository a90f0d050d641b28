import { create } from "@bufbuild/protobuf";
import { sql, type SQL } from "drizzle-orm";
import { SessionCreatedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import type { Session } from "../../../../gen/pushpals/v1/sessions_pb.js";
import { invalidArgument, notFound } from "../../../../shared/errors.js";
import { newId } from "../../../../shared/ids.js";
import type { Dialect, Executor } from "../dialect/dialect.js";
import { toSession, type SessionRow } from "../rows/session-row.js";
import type { CreateSessionInput } from "../store.js";
import type { WriteTx } from "../transaction.js";

/** A new session with its session_created event, or the one made earlier with the same idempotency key. */
export async function createSession(tx: WriteTx, input: CreateSessionInput): Promise<{ session: Session; existing: boolean }> {
  const key = input.idempotencyKey ?? "";
  const [row] = await tx.exec.rows<SessionRow>(sql`
    INSERT INTO sessions (id, title, idempotency_key, created_at, updated_at, last_seq, objective_id, session_key)
    VALUES (${newId("session")}, ${input.title}, ${key}, ${tx.now}, ${tx.now}, 0, ${input.objectiveId ?? ""}, ${nextSessionKey(tx.dialect.kind)})
    ON CONFLICT (idempotency_key) WHERE idempotency_key <> '' DO NOTHING
    RETURNING *`);
  if (!row) {
    const [earlier] = await tx.exec.rows<SessionRow>(sql`SELECT * FROM sessions WHERE idempotency_key = ${key}`);
    if (!earlier) throw new Error(`session with idempotency key ${key} vanished during createSession`);
    return { session: toSession(earlier), existing: true };
  }
  tx.emit(row.id, { payload: { case: "sessionCreated", value: create(SessionCreatedSchema, { title: input.title }) } });
  return { session: toSession(row), existing: false };
}

/**
 * The new session's number for its events rows (schema: sessions.session_key). Postgres takes it
 * from the column's sequence; SQLite has no sequences, but it has one writer at a time, so the
 * next number after the largest (read from the unique index) cannot be taken twice.
 */
function nextSessionKey(dialect: Dialect["kind"]): SQL {
  return dialect === "postgres" ? sql`DEFAULT` : sql`(SELECT coalesce(max(session_key), 0) + 1 FROM sessions)`;
}

export async function getSession(exec: Executor, sessionId: string): Promise<Session | undefined> {
  const [row] = await exec.rows<SessionRow>(sql`SELECT * FROM sessions WHERE id = ${sessionId}`);
  return row ? toSession(row) : undefined;
}

export async function requireSession(exec: Executor, sessionId: string): Promise<void> {
  const [row] = await exec.rows<{ id: string }>(sql`SELECT id FROM sessions WHERE id = ${sessionId}`);
  if (!row) throw notFound("session", sessionId);
}

/** The session's number in events rows, by its id, as a scalar subquery (NULL for no such session, which matches no event). */
export function sessionKeyOf(sessionId: string): SQL {
  return sql`(SELECT session_key FROM sessions WHERE id = ${sessionId})`;
}

/** Newest first; `before` is the id of the last session of the previous page. */
export async function listSessions(exec: Executor, input: { limit: number; before?: string }): Promise<Session[]> {
  let after = sql``;
  if (input.before) {
    const [anchor] = await exec.rows<SessionRow>(sql`SELECT created_at, id FROM sessions WHERE id = ${input.before}`);
    if (!anchor) throw invalidArgument("before", `no session ${input.before}; pass the id of the last session of the previous page`);
    after = sql`WHERE (created_at, id) < (${anchor.created_at}, ${anchor.id})`;
  }
  const rows = await exec.rows<SessionRow>(sql`
    SELECT * FROM sessions ${after} ORDER BY created_at DESC, id DESC LIMIT ${positiveLimit(input.limit)}`);
  return rows.map(toSession);
}

export function positiveLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw invalidArgument("limit", `must be a positive integer, got ${limit}`);
  return limit;
}
