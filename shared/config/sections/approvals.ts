import { z } from "zod";

/** What a matching rule does: let it through, ask a person first, or refuse it outright. */
export const approvalAction = z.enum(["auto", "ask", "deny"]);
export type ApprovalAction = z.infer<typeof approvalAction>;

const glob = z
  .string()
  .min(1)
  .refine((v) => !v.startsWith("/"), "globs are relative to the repository root; drop the leading /");

const pattern = z
  .string()
  .min(1)
  .refine((v) => {
    try {
      new RegExp(v);
      return true;
    } catch {
      return false;
    }
  }, "must be a valid JavaScript regular expression (escape a literal ( [ . * + ? with a backslash)");

/**
 * Plans: one action per risk level, plus two rules that can only make it stricter — a plan
 * that may write more than `maxFiles` files, or whose write globs touch one of `globs`.
 */
const planRules = z.strictObject({
  low: approvalAction.default("auto"),
  medium: approvalAction.default("auto"),
  high: approvalAction.default("ask"),
  /** Plans allowed to edit more files than this (or with no file limit) get `maxFilesAction`; 0 turns the rule off. */
  maxFiles: z.coerce.number().int().min(0).default(0),
  maxFilesAction: approvalAction.default("ask"),
  /** picomatch globs; a plan whose write globs could touch one of them gets `globsAction`. */
  globs: z.array(glob).default([]),
  globsAction: approvalAction.default("ask"),
});

/** An agent command matching `pattern` (a regular expression, searched anywhere in the command) gets `action`. */
const commandRule = z.strictObject({ pattern, action: approvalAction.default("ask") });

/**
 * Where a person must say yes first. Anything no rule matches runs without asking; when a
 * request is not answered within `timeoutSeconds`, `timeoutAction` decides it (and is audited).
 */
export const approvalsSection = z.strictObject({
  plan: planRules.prefault({}),
  /** Before integration pushes a merged change. */
  push: approvalAction.default("auto"),
  /** Before integration opens a pull request. */
  pullRequest: approvalAction.default("auto"),
  /** First match wins; e.g. { pattern = "\\brm\\s+-rf\\b" }, { pattern = "\\bgit\\s+push\\b" }, { pattern = "\\bnpm\\s+(i|install)\\b" }. */
  command: z.array(commandRule).default([]),
  timeoutSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600)
    .default(3600),
  timeoutAction: z.enum(["approve", "deny"]).default("deny"),
});

export type ApprovalsSection = z.infer<typeof approvalsSection>;

export const approvalsEnv = {
  PUSHPALS_APPROVALS_PLAN_HIGH: "approvals.plan.high",
  PUSHPALS_APPROVALS_PUSH: "approvals.push",
  PUSHPALS_APPROVALS_PULL_REQUEST: "approvals.pullRequest",
  PUSHPALS_APPROVALS_TIMEOUT_SECONDS: "approvals.timeoutSeconds",
  PUSHPALS_APPROVALS_TIMEOUT_ACTION: "approvals.timeoutAction",
} as const;
