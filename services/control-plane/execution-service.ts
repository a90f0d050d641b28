import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { JobLogSchema, type Event, type JobLog } from "../../gen/pushpals/v1/events_pb.js";
import { type ExecutionService, StreamJobLogsResponseSchema } from "../../gen/pushpals/v1/execution_pb.js";
import { notFound } from "../../shared/errors.js";
import { WORKER_ID } from "../../shared/ids.js";
import { parseRequest } from "../../shared/rpc/validate.js";
import { toTimestamp } from "../../shared/time.js";
import type { ControlPlaneDeps } from "./deps.js";
import { followSessionEvents } from "./event-follower.js";
import { decodePageToken, keysetPage, pageLimit } from "./page-token.js";
import { jobConversationMethods } from "./job-conversation-service.js";
import * as requests from "./requests/execution-requests.js";

/** Workers and artifacts per page when the request says 0. */
const LIST_PAGE = 100;
const ARTIFACT_ID = /^art_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The job's final events, and the status each leaves it in. */
const FINAL_JOB_EVENTS = new Map<string, ItemStatus>([
  ["jobCompleted", ItemStatus.COMPLETED],
  ["jobFailed", ItemStatus.FAILED],
  ["jobDeadLettered", ItemStatus.DEAD_LETTER],
  ["jobCancelled", ItemStatus.CANCELLED],
]);
const FINAL_STATUSES = new Set([ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.CANCELLED]);

export function executionService(deps: ControlPlaneDeps): ServiceImpl<typeof ExecutionService> {
  const { store, hub, commit, config } = deps;
  return {
    ...jobConversationMethods(deps),
    async heartbeat(message) {
      const req = parseRequest(requests.heartbeatRequest, message);
      const { cancelRequestedJobIds } = await store.heartbeat({
        workerId: req.workerId,
        name: req.name,
        host: req.host,
        drivers: req.drivers,
        concurrency: req.concurrency,
        activeJobIds: req.activeJobIds,
        version: req.version,
        // Only jobs the worker says it runs, and only those that wait.
        waiting: Object.fromEntries(req.activeJobs.filter((job) => job.waiting !== 0 && req.activeJobIds.includes(job.jobId)).map((job) => [job.jobId, job.waiting])),
      });
      return { cancelRequestedJobIds, serverTime: toTimestamp(Date.now()) };
    },

    async listWorkers(req) {
      const { pageSize, pageToken } = parseRequest(requests.listWorkersRequest, req);
      const limit = pageLimit(pageSize, LIST_PAGE);
      const workers = await store.listWorkers({ limit: limit + 1, after: decodePageToken(pageToken, WORKER_ID) });
      const { page, nextPageToken } = keysetPage(workers, limit);
      return { workers: page, nextPageToken };
    },

    async appendJobLogs(message) {
      const req = parseRequest(requests.appendJobLogsRequest, message);
      const now = Date.now();
      const lines = req.lines.map((line) => create(JobLogSchema, { ...line, time: line.time ?? toTimestamp(now) }));
      return commit(store.appendJobLogs({ jobId: req.jobId, leaseToken: req.leaseToken, lines }));
    },

    async *streamJobLogs(message, ctx) {
      const req = parseRequest(requests.streamJobLogsRequest, message);
      const job = await store.getItem(req.jobId);
      if (!job) throw notFound("job", req.jobId);
      const finished = FINAL_STATUSES.has(job.status);
      const events = followSessionEvents(store, hub, {
        sessionId: job.sessionId,
        afterSeq: 0n,
        itemId: job.id,
        live: req.follow && !finished,
        keepaliveMs: config.server.keepaliveSeconds * 1000,
        signal: ctx.signal,
      });
      for await (const item of events) {
        if (item.kind !== "event") continue;
        const line = jobLogLine(item.event);
        if (line && line.line > req.afterLine) {
          yield create(StreamJobLogsResponseSchema, { message: { case: "line", value: line } });
        }
        const finishedStatus = FINAL_JOB_EVENTS.get(item.event.payload.case ?? "");
        if (finishedStatus !== undefined) {
          yield create(StreamJobLogsResponseSchema, { message: { case: "finishedStatus", value: finishedStatus } });
          return;
        }
      }
    },

    async putArtifact(message) {
      const req = parseRequest(requests.putArtifactRequest, message);
      const artifact = await commit(
        store.putArtifact({
          jobId: req.jobId,
          leaseToken: req.leaseToken,
          name: req.name,
          mediaType: req.mediaType || "application/octet-stream",
          content: req.content,
        }),
      );
      return { artifact };
    },

    async listArtifacts(message) {
      const { jobId, pageSize, pageToken } = parseRequest(requests.listArtifactsRequest, message);
      if (!(await store.getItem(jobId))) throw notFound("job", jobId);
      const limit = pageLimit(pageSize, LIST_PAGE);
      const artifacts = await store.listArtifacts(jobId, { limit: limit + 1, after: decodePageToken(pageToken, ARTIFACT_ID) });
      const { page, nextPageToken } = keysetPage(artifacts, limit);
      return { artifacts: page, nextPageToken };
    },

    async getArtifact(message) {
      const req = parseRequest(requests.getArtifactRequest, message);
      const artifact = await store.getArtifact(req.artifactId);
      if (!artifact) throw notFound("artifact", req.artifactId);
      return { artifact };
    },
  };
}

/** The job_log event's line as StreamJobLogs sends it: the same message, its time never unset. */
function jobLogLine(event: Event): JobLog | undefined {
  if (event.payload.case !== "jobLog") return undefined;
  const log = event.payload.value;
  return create(JobLogSchema, { ...log, time: log.time ?? event.time });
}
