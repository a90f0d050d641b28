import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import type { Event } from "../../gen/pushpals/v1/events_pb.js";
import { type ExecutionService, LogLineSchema, StreamJobLogsResponseSchema } from "../../gen/pushpals/v1/execution_pb.js";
import { notFound } from "../kernel/errors.js";
import { WORKER_ID } from "../kernel/ids.js";
import { parseRequest } from "../kernel/rpc/validate.js";
import { toTimestamp } from "../kernel/time.js";
import type { ControlPlaneDeps } from "./deps.js";
import { followSessionEvents } from "./event-follower.js";
import { decodePageToken, encodePageToken, pageLimit } from "./page-token.js";
import { jobConversationMethods } from "./job-conversation-service.js";
import * as requests from "./requests/execution-requests.js";

/** Workers and artifacts per page when the request says 0. */
const LIST_PAGE = 100;
const ARTIFACT_ID = /^art_[0-9A-HJKMNP-TV-Z]{26}$/;

const FINAL_JOB_EVENTS = new Set(["jobCompleted", "jobFailed", "jobDeadLettered", "jobCancelled"]);
const FINAL_STATUSES = new Set([ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER, ItemStatus.CANCELLED]);

export function executionService(deps: ControlPlaneDeps): ServiceImpl<typeof ExecutionService> {
  const { store, hub, commit, config } = deps;
  return {
    ...jobConversationMethods(deps),
    async heartbeat(req) {
      parseRequest(requests.heartbeatRequest, req);
      const { cancelRequestedJobIds } = await store.heartbeat({
        workerId: req.workerId,
        name: req.name,
        host: req.host,
        drivers: req.drivers,
        concurrency: req.concurrency,
        activeJobIds: req.activeJobIds,
        version: req.version,
      });
      return { cancelRequestedJobIds, serverTime: toTimestamp(Date.now()) };
    },

    async listWorkers(req) {
      const { pageSize, pageToken } = parseRequest(requests.listWorkersRequest, req);
      const limit = pageLimit(pageSize, LIST_PAGE);
      const workers = await store.listWorkers({ limit: limit + 1, after: decodePageToken(pageToken, WORKER_ID) });
      const page = workers.slice(0, limit);
      return { workers: page, nextPageToken: workers.length > limit ? encodePageToken(page.at(-1)?.id) : "" };
    },

    async appendJobLogs(req) {
      parseRequest(requests.appendJobLogsRequest, req);
      const now = Date.now();
      const lines = req.lines.map((line) => create(LogLineSchema, { ...line, time: line.time ?? toTimestamp(now) }));
      return commit(store.appendJobLogs({ jobId: req.jobId, leaseToken: req.leaseToken, lines }));
    },

    async *streamJobLogs(req, ctx) {
      parseRequest(requests.streamJobLogsRequest, req);
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
        if (FINAL_JOB_EVENTS.has(item.event.payload.case ?? "")) {
          yield create(StreamJobLogsResponseSchema, { message: { case: "finishedStatus", value: item.event.payload.case ?? "" } });
          return;
        }
      }
    },

    async putArtifact(req) {
      parseRequest(requests.putArtifactRequest, req);
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

    async listArtifacts(req) {
      const { jobId, pageSize, pageToken } = parseRequest(requests.listArtifactsRequest, req);
      if (!(await store.getItem(jobId))) throw notFound("job", jobId);
      const limit = pageLimit(pageSize, LIST_PAGE);
      const artifacts = await store.listArtifacts(jobId, { limit: limit + 1, after: decodePageToken(pageToken, ARTIFACT_ID) });
      const page = artifacts.slice(0, limit);
      return { artifacts: page, nextPageToken: artifacts.length > limit ? encodePageToken(page.at(-1)?.id) : "" };
    },

    async getArtifact(req) {
      parseRequest(requests.getArtifactRequest, req);
      const artifact = await store.getArtifact(req.artifactId);
      if (!artifact) throw notFound("artifact", req.artifactId);
      return { artifact };
    },
  };
}

function jobLogLine(event: Event) {
  if (event.payload.case !== "jobLog") return undefined;
  const { line, stream, text, time } = event.payload.value;
  return { line, stream, text, time: time ?? event.time };
}

