import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { z } from "zod";
import { JobWaitingSchema, LogStreamSchema } from "../../../gen/pushpals/v1/common_pb.js";
import { enumValue } from "../../../shared/rpc/validate.js";
import { id, list, optionalPrefixed, pageSize, pageToken, requiredText, text, workerId } from "./fields.js";

const jobId = id("job");

export const heartbeatRequest = z.object({
  workerId,
  name: text("worker name", 200),
  host: text("host", 255),
  drivers: list(text("driver", 50), 10),
  concurrency: z.number().max(1024, "must be at most 1024"),
  activeJobIds: list(jobId, 1024),
  version: text("version", 100),
  activeJobs: list(z.object({ jobId, waiting: enumValue(JobWaitingSchema, { allowUnspecified: true }) }), 1024),
});

export const appendJobLogsRequest = z.object({
  jobId,
  leaseToken: id("lease"),
  lines: z
    .array(
      z.object({
        line: z.bigint().refine((value) => value === 0n, "must be 0 (unset): the control plane numbers the lines"),
        stream: enumValue(LogStreamSchema, { allowUnspecified: true }),
        text: text("log line", 64 * 1024),
        time: z.custom<Timestamp>().optional(),
      }),
    )
    .min(1, "must have at least one line")
    .max(1000, "must have at most 1000 lines per call"),
});

export const streamJobLogsRequest = z.object({ jobId, afterLine: z.bigint(), follow: z.boolean() });

export const putArtifactRequest = z.object({
  jobId,
  leaseToken: optionalPrefixed("lse", "lease"),
  name: requiredText("artifact name", 200).refine((v) => !v.includes("/") && !v.includes("\\") && v !== "." && v !== "..", "must be a plain file name (no slashes)"),
  mediaType: text("media type", 200),
  content: z.instanceof(Uint8Array).refine((b) => b.byteLength <= 32 * 1024 * 1024, "must be at most 32 MiB"),
});

export const listWorkersRequest = z.object({ pageSize, pageToken });
export const listArtifactsRequest = z.object({ jobId, pageSize, pageToken });
export const getArtifactRequest = z.object({ artifactId: id("artifact") });

const author = text("author", 100);
export const sendToJobRequest = z.object({ jobId, text: requiredText("text", 16 * 1024), author });
export const answerQuestionRequest = z.object({ jobId, text: requiredText("text", 16 * 1024), author });
export const pauseJobRequest = z.object({ jobId, author, reason: text("reason", 1000) });
export const resumeJobRequest = z.object({ jobId, author, finish: z.boolean() });
export const runInJobRequest = z.object({
  jobId,
  command: requiredText("command", 16 * 1024),
  author,
  timeoutSeconds: z.number().int().max(3600, "must be at most 3600 (0 means 60)"),
});
