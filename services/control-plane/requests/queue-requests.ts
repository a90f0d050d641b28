import { z } from "zod";
import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { ItemPayload, ItemResult } from "../../../gen/pushpals/v1/items_pb.js";
import {
  commandList,
  duration,
  failMode,
  globList,
  id,
  intent,
  itemId,
  itemStatus,
  lane,
  list,
  optionalItemId,
  optionalPrefixed,
  optionalQueueName,
  optionalRefName,
  optionalWorkerId,
  pageSize,
  pageToken,
  priority,
  queueName,
  refName,
  requiredText,
  risk,
  text,
  workerId,
} from "./fields.js";

const DAY = 86_400_000;

const planning = z
  .object({
    intent,
    risk,
    scope: z
      .object({
        writeGlobs: globList,
        forbiddenGlobs: globList,
        maxFilesToEdit: z.number().max(10_000, "must be at most 10000"),
      })
      .optional(),
    acceptanceCriteria: list(text("acceptance criterion", 2000), 50),
    validationSteps: commandList,
    budgets: z
      .object({
        queueWait: duration({ minMs: 0, maxMs: 30 * DAY }),
        execution: duration({ minMs: 0, maxMs: DAY }),
        finalization: duration({ minMs: 0, maxMs: DAY }),
      })
      .optional(),
  })
  .optional();

const requestPayload = z.object({ text: requiredText("request text", 64 * 1024), origin: text("origin", 50) });
const taskPayload = z.object({
  lane,
  instruction: requiredText("instruction", 256 * 1024),
  planning,
  baseRef: optionalRefName,
  requestId: optionalPrefixed("req", "request"),
  repair: z.object({ branch: optionalRefName, ontoRef: optionalRefName }).optional(),
});
const completionPayload = z.object({
  jobId: id("job"),
  branch: refName,
  sha: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "must be a full commit sha (40 hex digits)"),
  baseSha: z.string().regex(/^([0-9a-f]{40}([0-9a-f]{24})?)?$/, "must be empty or a full commit sha"),
  summary: text("summary", 64 * 1024),
  changedFiles: list(text("path", 4096), 10_000),
});

/** Which payload case each queue carries, and its schema. */
const PAYLOAD_CASE: Record<number, keyof typeof PAYLOAD_SCHEMAS> = {
  [QueueName.REQUESTS]: "request",
  [QueueName.JOBS]: "taskExecuteV2",
  [QueueName.COMPLETIONS]: "completion",
};
const PAYLOAD_REQUIRED = "is required: set request, task_execute_v2 or completion";
const PAYLOAD_SCHEMAS = { request: requestPayload, taskExecuteV2: taskPayload, completion: completionPayload };

export const enqueueRequest = z
  .object({
    queue: queueName,
    sessionId: id("session"),
    priority,
    // Present here; its case and contents are checked against the queue below.
    payload: z.custom<ItemPayload>((value) => value !== undefined, { error: PAYLOAD_REQUIRED }),
    idempotencyKey: text("idempotency key", 200),
    maxAttempts: z.number().max(100, "must be at most 100"),
    targetWorkerId: optionalWorkerId,
    parentId: optionalItemId,
    delay: duration({ minMs: 0, maxMs: 7 * DAY }),
  })
  .superRefine((req, ctx) => {
    const kind = req.payload?.kind;
    if (!kind?.case) {
      ctx.addIssue({ code: "custom", path: ["payload"], message: PAYLOAD_REQUIRED });
      return;
    }
    const expected = PAYLOAD_CASE[req.queue];
    if (expected === undefined) return;
    if (kind.case !== expected) {
      ctx.addIssue({ code: "custom", path: ["payload", kind.case], message: `does not belong on this queue, which takes ${expected}` });
      return;
    }
    const checked = PAYLOAD_SCHEMAS[expected].safeParse(kind.value);
    for (const issue of checked.error?.issues ?? []) {
      ctx.addIssue({ code: "custom", path: ["payload", kind.case, ...issue.path], message: issue.message });
    }
  });

export const claimRequest = z.object({
  queue: queueName,
  workerId,
  leaseDuration: duration({ minMs: 1000, maxMs: 3_600_000 }),
  wait: duration({ minMs: 0, maxMs: 60_000 }),
});

export const renewLeaseRequest = z.object({
  itemId,
  leaseToken: id("lease"),
  leaseDuration: duration({ minMs: 1000, maxMs: 3_600_000 }),
});

export const completeRequest = z.object({ itemId, leaseToken: id("lease"), result: z.custom<ItemResult>().optional() });

export const failRequest = z.object({
  itemId,
  leaseToken: id("lease"),
  error: text("error", 64 * 1024),
  mode: failMode,
  conflictingFiles: list(text("path", 4096), 10_000),
  repairJobId: optionalPrefixed("job", "job"),
});

export const cancelRequest = z.object({ itemId, reason: text("reason", 1000) });
export const getItemRequest = z.object({ itemId });

export const listItemsRequest = z.object({
  queue: optionalQueueName,
  statuses: list(itemStatus, 10),
  sessionId: optionalPrefixed("ses", "session"),
  pageSize,
  pageToken,
});

export const getSloRequest = z.object({
  queue: queueName,
  window: duration({ minMs: 60_000, maxMs: 30 * DAY }),
});
