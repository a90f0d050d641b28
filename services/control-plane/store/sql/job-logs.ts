import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import { JobLogSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import type { JobLog } from "../../../../gen/pushpals/v1/events_pb.js";
import { invalidArgument } from "../../../../shared/errors.js";
import { toTimestamp } from "../../../../shared/time.js";
import type { WriteTx } from "../transaction.js";
import { lockItem, requireLease } from "./held-item.js";

/**
 * Each line becomes a job_log event numbered on from the job's last line. Only the
 * holder of the job's lease may write, so a worker that lost its job cannot keep
 * adding to the log.
 */
export async function appendJobLogs(tx: WriteTx, input: { jobId: string; leaseToken: string; lines: JobLog[] }): Promise<{ lastLine: bigint }> {
  const row = await lockItem(tx, input.jobId, "job");
  if (row.queue !== QueueName.JOBS) throw invalidArgument("job_id", `${input.jobId} is not a job; logs belong to jobs (job_…)`);
  requireLease(row, input.leaseToken, "append logs to");
  if (input.lines.length === 0) return { lastLine: BigInt(row.last_log_line) };

  const [counted] = await tx.exec.rows<{ last_log_line: number }>(sql`
    UPDATE queue_items SET last_log_line = last_log_line + ${input.lines.length} WHERE seq = ${row.seq} RETURNING last_log_line`);
  const lastLine = counted?.last_log_line ?? row.last_log_line + input.lines.length;
  const firstLine = lastLine - input.lines.length + 1;
  input.lines.forEach((line, index) =>
    tx.emit(row.session_id, {
      itemId: row.id,
      payload: {
        case: "jobLog",
        value: create(JobLogSchema, {
          line: BigInt(firstLine + index),
          stream: line.stream,
          text: line.text,
          time: line.time ?? toTimestamp(tx.now),
        }),
      },
    }),
  );
  return { lastLine: BigInt(lastLine) };
}
