import { create } from "@bufbuild/protobuf";
import { KindPriorSchema, ObjectiveSchema, type KindPrior, type Objective } from "../../../../gen/pushpals/v1/autonomy_pb.js";
import { toTimestamp } from "../../../../shared/time.js";

export interface ObjectiveRow {
  id: string;
  key: string;
  kind: string;
  target: string;
  title: string;
  evidence: string;
  score: number;
  status: number;
  outcome: number;
  session_id: string;
  request_id: string;
  approval_id: string;
  comment: string;
  created_at: number;
  dispatched_at: number | null;
  finished_at: number | null;
}

const time = (ms: number | null) => (ms === null ? undefined : toTimestamp(Number(ms)));

export function toObjective(row: ObjectiveRow): Objective {
  return create(ObjectiveSchema, {
    id: row.id,
    key: row.key,
    kind: row.kind,
    target: row.target,
    title: row.title,
    evidence: row.evidence,
    score: Number(row.score),
    status: row.status,
    outcome: row.outcome,
    sessionId: row.session_id,
    requestId: row.request_id,
    approvalId: row.approval_id,
    comment: row.comment,
    createdAt: time(row.created_at),
    dispatchedAt: time(row.dispatched_at),
    finishedAt: time(row.finished_at),
  });
}

export interface PriorRow {
  kind: string;
  value: number;
  samples: number;
  updated_at: number;
}

export function toPrior(row: PriorRow): KindPrior {
  return create(KindPriorSchema, { kind: row.kind, value: Number(row.value), samples: Number(row.samples), updatedAt: time(row.updated_at) });
}
