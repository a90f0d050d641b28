import { z } from "zod";
import { AutonomyMode, AutonomyModeSchema, type AutonomyEvaluation } from "../../../gen/pushpals/v1/autonomy_pb.js";
import { enumValue } from "../../../shared/rpc/validate.js";
import { duration, id, requiredText, text, workerId } from "./fields.js";

const DAY_MS = 24 * 3600 * 1000;
const unit = (what: string) => z.number().min(0, `${what} must be between 0 and 1`).max(1, `${what} must be between 0 and 1`);

export const getAutonomyStatusRequest = z.object({ objectivesLimit: z.number().int().max(500, "must be at most 500") });

export const setAutonomyModeRequest = z
  .object({ mode: enumValue(AutonomyModeSchema), freezeFor: duration({ minMs: 1000, maxMs: 30 * DAY_MS }), by: requiredText("who changes the mode", 100) })
  .superRefine((req, context) => {
    if (req.mode === AutonomyMode.FROZEN && !req.freezeFor) context.addIssue({ code: "custom", path: ["freezeFor"], message: "is required to freeze (how long, 1 s .. 30 days)" });
  });

export const acquireDispatchLeaseRequest = z.object({ holder: workerId, ttl: duration({ minMs: 1000, maxMs: 3600_000, required: true }) });
export const releaseDispatchLeaseRequest = z.object({ holder: workerId });
/** The message itself comes back: the store keeps it as sent (protobuf binary). */
export const reportEvaluationRequest = z.object({
  holder: workerId,
  evaluation: z.custom<AutonomyEvaluation>((v) => v !== undefined && v !== null, { error: "is required: the pass to store" }),
});

const candidate = z.object({
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a kind name (a-z 0-9 _)"),
  target: requiredText("target", 500),
  title: requiredText("title", 300),
  evidence: text("evidence", 16 * 1024),
  evidenceStrength: unit("evidence_strength"),
  risk: unit("risk"),
  score: z.number().finite(),
  estimatedFiles: z.number().int().min(0).max(10_000),
  key: text("key", 600),
});

export const proposeObjectiveRequest = z
  .object({
    holder: workerId,
    candidate,
    ask: z.boolean(),
    questionTimeout: duration({ minMs: 1000, maxMs: 30 * DAY_MS }),
    requestText: text("request text", 64 * 1024),
  })
  .superRefine((req, context) => {
    if (req.ask && !req.questionTimeout) context.addIssue({ code: "custom", path: ["questionTimeout"], message: "is required with ask" });
    if (!req.ask && req.requestText === "") context.addIssue({ code: "custom", path: ["requestText"], message: "is required to dispatch" });
  });

export const dispatchObjectiveRequest = z.object({ holder: workerId, objectiveId: id("objective"), requestText: requiredText("request text", 64 * 1024) });
export const settleObjectivesRequest = z.object({ holder: workerId, priorAlpha: z.number().gt(0, "must be in (0, 1]").max(1, "must be in (0, 1]") });
export const markObjectiveRevertedRequest = z.object({
  holder: workerId,
  objectiveId: id("objective"),
  revertSha: z.string().regex(/^[0-9a-f]{40}$/, "must be a commit id (40 hex digits)"),
  priorAlpha: z.number().gt(0, "must be in (0, 1]").max(1, "must be in (0, 1]"),
});
