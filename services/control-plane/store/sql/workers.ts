import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ActiveJobSchema, WorkerSchema, WorkerStatus, type Worker } from "../../../../gen/pushpals/v1/execution_pb.js";
import { JobWaiting } from "../../../../gen/pushpals/v1/common_pb.js";
import { invalidArgument } from "../../../../shared/errors.js";
import { WORKER_ID } from "../../../../shared/ids.js";
import { toTimestamp } from "../../../../shared/time.js";
import type { Executor } from "../dialect/dialect.js";
import type { Settings } from "../settings.js";
import type { HeartbeatInput, KeysetPage } from "../store.js";
import { positiveLimit } from "./sessions.js";
import { CLAIMED } from "./statuses.js";

interface WorkerRow {
  id: string;
  name: string;
  host: string;
  drivers: string;
  concurrency: number;
  active_job_ids: string;
  /** JSON object: job id → JobWaiting number. */
  active_job_waiting: string;
  version: string;
  first_seen_at: number;
  last_heartbeat_at: number;
}

/** Registers or refreshes the worker (first_seen is kept) and returns its claimed jobs whose cancel was requested. */
export async function heartbeat(exec: Executor, settings: Settings, input: HeartbeatInput, now: number): Promise<{ worker: Worker; cancelRequestedJobIds: string[] }> {
  if (!WORKER_ID.test(input.workerId)) {
    throw invalidArgument("worker_id", `${JSON.stringify(input.workerId)} must match ${WORKER_ID.source}`);
  }
  const [row] = await exec.rows<WorkerRow>(sql`
    INSERT INTO workers (id, name, host, drivers, concurrency, active_job_ids, active_job_waiting, version, first_seen_at, last_heartbeat_at)
    VALUES (${input.workerId}, ${input.name}, ${input.host}, ${JSON.stringify(input.drivers)}, ${input.concurrency},
            ${JSON.stringify(input.activeJobIds)}, ${JSON.stringify(input.waiting ?? {})}, ${input.version}, ${now}, ${now})
    ON CONFLICT (id) DO UPDATE SET
      name = excluded.name, host = excluded.host, drivers = excluded.drivers, concurrency = excluded.concurrency,
      active_job_ids = excluded.active_job_ids, active_job_waiting = excluded.active_job_waiting, version = excluded.version,
      last_heartbeat_at = excluded.last_heartbeat_at
    RETURNING *`);
  if (!row) throw new Error(`heartbeat upsert of worker ${input.workerId} returned no row`);
  const cancelled = await exec.rows<{ id: string }>(sql`
    SELECT id FROM queue_items
     WHERE claimed_by = ${input.workerId} AND status = ${CLAIMED} AND cancel_requested = 1
     ORDER BY seq`);
  return { worker: toWorker(row, settings, now), cancelRequestedJobIds: cancelled.map((job) => job.id) };
}

export async function listWorkers(exec: Executor, settings: Settings, now: number, page?: KeysetPage): Promise<Worker[]> {
  const after = page?.after === undefined ? sql`` : sql`WHERE id > ${page.after}`;
  const limit = page ? sql`LIMIT ${positiveLimit(page.limit)}` : sql``;
  const rows = await exec.rows<WorkerRow>(sql`SELECT * FROM workers ${after} ORDER BY id ${limit}`);
  return rows.map((row) => toWorker(row, settings, now));
}

export async function getWorker(exec: Executor, settings: Settings, now: number, workerId: string): Promise<Worker | undefined> {
  const [row] = await exec.rows<WorkerRow>(sql`SELECT * FROM workers WHERE id = ${workerId}`);
  return row ? toWorker(row, settings, now) : undefined;
}

/** Online within the stale limit since the last heartbeat, stale within five times it, then offline. */
function toWorker(row: WorkerRow, settings: Settings, now: number): Worker {
  const silentMs = now - row.last_heartbeat_at;
  const activeJobIds = JSON.parse(row.active_job_ids) as string[];
  const waiting = JSON.parse(row.active_job_waiting || "{}") as Record<string, number>;
  const status = silentMs <= settings.workerStaleMs ? WorkerStatus.ONLINE : silentMs <= 5 * settings.workerStaleMs ? WorkerStatus.STALE : WorkerStatus.OFFLINE;
  return create(WorkerSchema, {
    id: row.id,
    name: row.name,
    host: row.host,
    drivers: JSON.parse(row.drivers) as string[],
    concurrency: row.concurrency,
    activeJobIds,
    activeJobs: activeJobIds.map((jobId) => create(ActiveJobSchema, { jobId, waiting: (waiting[jobId] ?? JobWaiting.UNSPECIFIED) as JobWaiting })),
    status,
    firstSeenAt: toTimestamp(row.first_seen_at),
    lastHeartbeatAt: toTimestamp(row.last_heartbeat_at),
    version: row.version,
  });
}
