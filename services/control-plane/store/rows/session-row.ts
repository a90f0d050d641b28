import { create } from "@bufbuild/protobuf";
import { SessionSchema, type Session } from "../../../../gen/pushpals/v1/sessions_pb.js";
import { toTimestamp } from "../../../../shared/time.js";

export interface SessionRow {
  id: string;
  title: string;
  idempotency_key: string;
  created_at: number;
  updated_at: number;
  last_seq: number;
}

export function toSession(row: SessionRow): Session {
  return create(SessionSchema, {
    id: row.id,
    title: row.title,
    createdAt: toTimestamp(row.created_at),
    updatedAt: toTimestamp(row.updated_at),
    lastSeq: BigInt(row.last_seq),
  });
}
