import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { ItemStatus, QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import { ArtifactAddedSchema } from "../../../../gen/pushpals/v1/events_pb.js";
import { ArtifactSchema, type Artifact } from "../../../../gen/pushpals/v1/execution_pb.js";
import { failedPrecondition, invalidArgument, notFound } from "../../../../shared/errors.js";
import { newId } from "../../../../shared/ids.js";
import { toTimestamp } from "../../../../shared/time.js";
import type { Executor } from "../dialect/dialect.js";
import type { KeysetPage, PutArtifactInput } from "../store.js";
import { positiveLimit } from "./sessions.js";
import type { WriteTx } from "../transaction.js";
import { lockItem, requireLease } from "./held-item.js";

interface ArtifactRow {
  id: string;
  job_id: string;
  name: string;
  media_type: string;
  size_bytes: number;
  created_at: number;
  content?: Uint8Array;
}

const METADATA = sql`id, job_id, name, media_type, size_bytes, created_at`;

/**
 * Attaches a file to a job: while the job is claimed only its lease holder may; once it
 * finished anyone may (the token is not checked, it may be empty); a pending job has no
 * run to attach to.
 */
export async function putArtifact(tx: WriteTx, input: PutArtifactInput): Promise<Artifact> {
  if (input.name.trim() === "") throw invalidArgument("name", 'must not be empty; name the artifact, e.g. "diff" or "test-output.txt"');
  const job = await lockItem(tx, input.jobId, "job");
  if (job.queue !== QueueName.JOBS) throw invalidArgument("job_id", `${input.jobId} is not a job; artifacts belong to jobs (job_…)`);
  if (job.status === ItemStatus.CLAIMED) requireLease(job, input.leaseToken, "attach an artifact to");
  if (job.status === ItemStatus.PENDING) {
    throw failedPrecondition(`cannot attach an artifact to ${job.id}: it is pending; attach artifacts while holding its lease or after it finished`);
  }
  const [row] = await tx.exec.rows<ArtifactRow>(sql`
    INSERT INTO artifacts (id, job_id, name, media_type, size_bytes, created_at, content)
    VALUES (${newId("artifact")}, ${job.id}, ${input.name}, ${input.mediaType || "application/octet-stream"},
            ${input.content.byteLength}, ${tx.now}, ${Buffer.from(input.content)})
    RETURNING ${METADATA}`);
  if (!row) throw new Error(`inserting an artifact for ${job.id} returned no row`);
  const artifact = toArtifact(row);
  tx.emit(job.session_id, {
    itemId: job.id,
    payload: {
      case: "artifactAdded",
      value: create(ArtifactAddedSchema, {
        artifactId: artifact.id,
        name: artifact.name,
        mediaType: artifact.mediaType,
        sizeBytes: artifact.sizeBytes,
      }),
    },
  });
  return artifact;
}

/** The job's artifacts without their content, oldest first. */
export async function listArtifacts(exec: Executor, jobId: string, page?: KeysetPage): Promise<Artifact[]> {
  let after = sql``;
  if (page?.after !== undefined) {
    const [anchor] = await exec.rows<{ created_at: number; id: string }>(sql`SELECT created_at, id FROM artifacts WHERE id = ${page.after} AND job_id = ${jobId}`);
    if (!anchor) throw invalidArgument("page_token", `names no artifact of job ${jobId}; start again without it`);
    after = sql`AND (created_at, id) > (${anchor.created_at}, ${anchor.id})`;
  }
  const limit = page ? sql`LIMIT ${positiveLimit(page.limit)}` : sql``;
  const rows = await exec.rows<ArtifactRow>(sql`SELECT ${METADATA} FROM artifacts WHERE job_id = ${jobId} ${after} ORDER BY created_at, id ${limit}`);
  if (rows.length === 0) {
    const [job] = await exec.rows<{ id: string }>(sql`SELECT id FROM queue_items WHERE id = ${jobId}`);
    if (!job) throw notFound("job", jobId);
  }
  return rows.map(toArtifact);
}

export async function getArtifact(exec: Executor, artifactId: string): Promise<Artifact | undefined> {
  const [row] = await exec.rows<ArtifactRow>(sql`SELECT * FROM artifacts WHERE id = ${artifactId}`);
  return row ? toArtifact(row) : undefined;
}

function toArtifact(row: ArtifactRow): Artifact {
  return create(ArtifactSchema, {
    id: row.id,
    jobId: row.job_id,
    name: row.name,
    mediaType: row.media_type,
    sizeBytes: BigInt(row.size_bytes),
    createdAt: toTimestamp(row.created_at),
    content: row.content ? new Uint8Array(row.content) : new Uint8Array(),
  });
}
