import { fromBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ObjectiveOutcome, ObjectiveStatus, type KindPrior } from "../../../../../gen/pushpals/v1/autonomy_pb.js";
import { EventSchema } from "../../../../../gen/pushpals/v1/events_pb.js";
import type { Executor } from "../../dialect/dialect.js";
import { toPrior, type PriorRow } from "../../rows/objective-row.js";
import type { WriteTx } from "../../transaction.js";

/** A kind nothing is known about yet starts even. */
export const NEUTRAL_PRIOR = 0.5;

/** merged = 1, failed / denied / reverted = 0; a cancel says nothing about the kind. */
export async function foldPrior(tx: WriteTx, kind: string, outcome: ObjectiveOutcome, alpha: number): Promise<void> {
  if (outcome === ObjectiveOutcome.CANCELLED || outcome === ObjectiveOutcome.UNSPECIFIED) return;
  const x = outcome === ObjectiveOutcome.MERGED ? 1 : 0;
  const [row] = await tx.exec.rows<PriorRow>(sql`SELECT * FROM autonomy_priors WHERE kind = ${kind} ${tx.dialect.lockRow}`);
  const value = alpha * x + (1 - alpha) * (row ? Number(row.value) : NEUTRAL_PRIOR);
  await tx.exec.run(sql`
    INSERT INTO autonomy_priors (kind, value, samples, updated_at) VALUES (${kind}, ${value}, 1, ${tx.now})
    ON CONFLICT (kind) DO UPDATE SET value = excluded.value, samples = autonomy_priors.samples + 1, updated_at = excluded.updated_at`);
}

export async function listPriors(exec: Executor): Promise<KindPrior[]> {
  return (await exec.rows<PriorRow>(sql`SELECT * FROM autonomy_priors ORDER BY kind`)).map(toPrior);
}

export async function dispatchedSince(exec: Executor, since: number): Promise<number> {
  const [row] = await exec.rows<{ n: number }>(sql`SELECT COUNT(*) AS n FROM autonomy_objectives WHERE dispatched_at >= ${since}`);
  return Number(row?.n ?? 0);
}

/** Tokens the model calls of autonomous sessions reported (token_usage events) since `since`. */
export async function tokensSince(exec: Executor, since: number): Promise<bigint> {
  const rows = await exec.rows<{ data: Uint8Array }>(sql`
    SELECT e.data FROM events e JOIN sessions s ON s.session_key = e.session_key JOIN autonomy_objectives o ON o.session_id = s.id
     WHERE e.payload_case = 'tokenUsage' AND e.time >= ${since} AND o.status <> ${ObjectiveStatus.QUESTIONED}`);
  let total = 0n;
  for (const row of rows) {
    const event = fromBinary(EventSchema, row.data);
    if (event.payload.case === "tokenUsage") total += event.payload.value.promptTokens + event.payload.value.completionTokens;
  }
  return total;
}
