import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { AutonomyEvaluationSchema, AutonomyMode, AutonomyStateSchema, type AutonomyEvaluation, type AutonomyState } from "../../../../../gen/pushpals/v1/autonomy_pb.js";
import { AutonomyModeChangedSchema } from "../../../../../gen/pushpals/v1/events_pb.js";
import { failedPrecondition } from "../../../../../shared/errors.js";
import { toTimestamp } from "../../../../../shared/time.js";
import type { Executor } from "../../dialect/dialect.js";
import type { WriteTx } from "../../transaction.js";
import { createSession } from "../sessions.js";

/** The mode a store without a state row starts in (config autonomy.mode). */
export type DefaultMode = "off" | "on";

export interface StateRow {
  id: number;
  mode: number;
  frozen_until: number | null;
  consecutive_failures: number;
  updated_by: string;
  updated_at: number;
  audit_session_id: string;
  evaluation: Uint8Array | null;
}

export function toState(row: StateRow): AutonomyState {
  return create(AutonomyStateSchema, {
    mode: row.mode,
    frozenUntil: row.frozen_until === null ? undefined : toTimestamp(Number(row.frozen_until)),
    consecutiveFailures: Number(row.consecutive_failures),
    updatedBy: row.updated_by,
    updatedAt: toTimestamp(Number(row.updated_at)),
    auditSessionId: row.audit_session_id,
  });
}

export function evaluationOf(row: StateRow | undefined): AutonomyEvaluation | undefined {
  return row?.evaluation ? fromBinary(AutonomyEvaluationSchema, row.evaluation) : undefined;
}

const modeOf = (mode: DefaultMode) => (mode === "on" ? AutonomyMode.ON : AutonomyMode.OFF);

/** The state row as read, or what it would be before anyone stored it. */
export async function readState(exec: Executor, defaultMode: DefaultMode): Promise<{ row?: StateRow; state: AutonomyState }> {
  const [row] = await exec.rows<StateRow>(sql`SELECT * FROM autonomy_state WHERE id = 1`);
  if (row) return { row, state: toState(row) };
  return { state: create(AutonomyStateSchema, { mode: modeOf(defaultMode), updatedBy: "config" }) };
}

/** The state row, locked for this transaction; made (with its audit session) on first use. */
export async function lockState(tx: WriteTx, defaultMode: DefaultMode): Promise<StateRow> {
  const [row] = await tx.exec.rows<StateRow>(sql`SELECT * FROM autonomy_state WHERE id = 1 ${tx.dialect.lockRow}`);
  if (row) return row;
  const { session } = await createSession(tx, { title: "Autonomy: mode changes", idempotencyKey: "autonomy-audit" });
  await tx.exec.run(sql`
    INSERT INTO autonomy_state (id, mode, consecutive_failures, updated_by, updated_at, audit_session_id)
    VALUES (1, ${modeOf(defaultMode)}, 0, 'config', ${tx.now}, ${session.id}) ON CONFLICT (id) DO NOTHING`);
  const [made] = await tx.exec.rows<StateRow>(sql`SELECT * FROM autonomy_state WHERE id = 1 ${tx.dialect.lockRow}`);
  if (!made) throw new Error("autonomy_state vanished while being made");
  return made;
}

/** Frozen reads as on once its time has passed. */
export function effectiveMode(row: Pick<StateRow, "mode" | "frozen_until">, now: number): AutonomyMode {
  if (row.mode === AutonomyMode.FROZEN && (row.frozen_until === null || Number(row.frozen_until) <= now)) return AutonomyMode.ON;
  return row.mode;
}

/** Dispatch needs the switch on inside the same transaction, so an `off` that committed first always wins. */
export function requireOn(row: StateRow, now: number): void {
  const mode = effectiveMode(row, now);
  if (mode === AutonomyMode.ON) return;
  const why = mode === AutonomyMode.FROZEN ? `frozen until ${new Date(Number(row.frozen_until)).toISOString()}` : "off";
  throw failedPrecondition(`autonomy is ${why}; nothing is dispatched`);
}

export interface SetModeInput {
  mode: AutonomyMode;
  frozenUntil?: number;
  by: string;
  defaultMode: DefaultMode;
}

/** Stores the mode and audits it; `on` also clears the failure count, so a paused loop restarts healthy. */
export async function writeMode(tx: WriteTx, input: SetModeInput, cancelledItemIds: string[]): Promise<AutonomyState> {
  const row = await lockState(tx, input.defaultMode);
  const failures = input.mode === AutonomyMode.ON ? 0 : row.consecutive_failures;
  const [updated] = await tx.exec.rows<StateRow>(sql`
    UPDATE autonomy_state SET mode = ${input.mode}, frozen_until = ${input.frozenUntil ?? null}, consecutive_failures = ${failures},
           updated_by = ${input.by}, updated_at = ${tx.now}
     WHERE id = 1 RETURNING *`);
  if (!updated) throw new Error("autonomy_state vanished while being updated");
  const state = toState(updated);
  tx.emit(updated.audit_session_id, { payload: { case: "autonomyModeChanged", value: create(AutonomyModeChangedSchema, { state, cancelledItemIds }) } });
  return state;
}

export async function saveEvaluation(tx: WriteTx, evaluation: AutonomyEvaluation, defaultMode: DefaultMode): Promise<void> {
  await lockState(tx, defaultMode);
  await tx.exec.run(sql`UPDATE autonomy_state SET evaluation = ${Buffer.from(toBinary(AutonomyEvaluationSchema, evaluation))} WHERE id = 1`);
}

/** Merged resets the run of failures; failed adds one; other outcomes leave it. */
export async function countOutcome(tx: WriteTx, failed: boolean, defaultMode: DefaultMode): Promise<void> {
  await lockState(tx, defaultMode);
  const next = failed ? sql`consecutive_failures + 1` : sql`0`;
  await tx.exec.run(sql`UPDATE autonomy_state SET consecutive_failures = ${next} WHERE id = 1`);
}
