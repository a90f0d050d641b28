import { z } from "zod";
import { ItemStatusSchema, PrioritySchema, QueueNameSchema } from "../../../gen/pushpals/v1/common_pb.js";
import { FailModeSchema } from "../../../gen/pushpals/v1/queues_pb.js";
import { IntentSchema, LaneSchema, RiskSchema } from "../../../gen/pushpals/v1/task_pb.js";
import { refNameProblem } from "../../../shared/git-ref-format.js";
import { ITEM_ID, WORKER_ID } from "../../../shared/ids.js";
import { boundedString, duration, enumValue, id } from "../../../shared/rpc/validate.js";

/** Field pieces of the control plane's request schemas, on top of the RPC kernel's. */
export { duration, id };

export const itemId = z.string().refine((v) => ITEM_ID.test(v), "must be a queue item id like job_01J… (req_, job_ or cmp_)");
export const optionalItemId = z.string().refine((v) => v === "" || ITEM_ID.test(v), "must be empty or a queue item id (req_…, job_…, cmp_…)");
export const workerId = z.string().refine((v) => WORKER_ID.test(v), "must be 1–63 of a-z 0-9 . _ - starting with a letter or digit");
export const optionalWorkerId = z.string().refine((v) => v === "" || WORKER_ID.test(v), "must be empty or a worker id (a-z 0-9 . _ -)");
export const optionalPrefixed = (prefix: string, what: string) =>
  z.string().refine((v) => v === "" || (v.startsWith(`${prefix}_`) && v.length <= 64), `must be empty or a ${what} id (${prefix}_…)`);

export const requiredText = (what: string, max: number) => boundedString(what, max);
export const text = (what: string, max: number) => boundedString(what, max, { required: false });

export const queueName = enumValue(QueueNameSchema);
export const optionalQueueName = enumValue(QueueNameSchema, { allowUnspecified: true });
export const priority = enumValue(PrioritySchema, { allowUnspecified: true });
export const itemStatus = enumValue(ItemStatusSchema);
export const failMode = enumValue(FailModeSchema, { allowUnspecified: true });
export const lane = enumValue(LaneSchema);
export const intent = enumValue(IntentSchema, { allowUnspecified: true });
export const risk = enumValue(RiskSchema, { allowUnspecified: true });

export const pageSize = z.number().int().max(500, "must be at most 500");
export const pageToken = z.string().max(200, "must be a next_page_token this server returned");

export const list = <T extends z.ZodType>(item: T, max: number) => z.array(item).max(max, `must have at most ${max} entries`);
export const globList = list(text("glob", 500), 200);
export const commandList = list(text("command", 4000), 50);

const REF_HINT = "; use a branch name git accepts (git check-ref-format), e.g. agent/worker-1/job_01J…";
/** A branch or ref name git would accept and never read as an option. */
export const refName = z.string().superRefine((value, context) => {
  const problem = refNameProblem(value);
  if (problem !== undefined) context.addIssue({ code: "custom", message: `${problem}${REF_HINT}` });
});
export const optionalRefName = z.string().superRefine((value, context) => {
  const problem = value === "" ? undefined : refNameProblem(value);
  if (problem !== undefined) context.addIssue({ code: "custom", message: `must be empty or a valid ref name: it ${problem}${REF_HINT}` });
});
