import picomatch from "picomatch";
import { Risk, type Plan } from "../../gen/pushpals/v1/task_pb.js";
import type { ApprovalAction, ApprovalsSection } from "../config/sections/approvals.js";

/** The strictest rule a plan matched: what to do and, for the person and the audit log, why. */
export interface MatchedRule {
  action: ApprovalAction;
  /** e.g. "approvals.plan.high: the plan's risk is high". */
  rule: string;
}

const STRICTNESS: Record<ApprovalAction, number> = { auto: 0, ask: 1, deny: 2 };

/**
 * Which approval rule a plan falls under. Every rule that matches is considered and the
 * strictest wins (deny > ask > auto), so a low-risk plan touching a guarded glob is still asked.
 * Undefined when every matching rule says auto (or the plan needs no job).
 */
export function planApprovalRule(plan: Plan, rules: ApprovalsSection["plan"]): MatchedRule | undefined {
  if (!plan.requiresWorker) return undefined;
  const planning = plan.planning;
  const risk = riskName(planning?.risk ?? Risk.UNSPECIFIED);
  const matched: MatchedRule[] = [{ action: rules[risk], rule: `approvals.plan.${risk}: the plan's risk is ${risk}` }];
  const scope = planning?.scope;
  const maxFiles = scope?.maxFilesToEdit ?? 0;
  if (rules.maxFiles > 0 && (maxFiles === 0 || maxFiles > rules.maxFiles)) {
    const limit = maxFiles === 0 ? "no file limit" : `up to ${maxFiles} files`;
    matched.push({ action: rules.maxFilesAction, rule: `approvals.plan.max_files: the plan may edit ${limit} (more than ${rules.maxFiles})` });
  }
  const writes = scope?.writeAllowed ? (scope.writeGlobs.length > 0 ? scope.writeGlobs : ["**"]) : [];
  const touched = rules.globs.filter((guarded) => writes.some((write) => globsOverlap(write, guarded)));
  if (touched.length > 0) {
    matched.push({ action: rules.globsAction, rule: `approvals.plan.globs: the plan may write ${touched.join(", ")}` });
  }
  const strictest = matched.reduce((a, b) => (STRICTNESS[b.action] > STRICTNESS[a.action] ? b : a));
  return strictest.action === "auto" ? undefined : strictest;
}

/** An unspecified risk is treated as high: a plan that does not say how risky it is gets asked about. */
function riskName(risk: Risk): "low" | "medium" | "high" {
  if (risk === Risk.LOW) return "low";
  if (risk === Risk.MEDIUM) return "medium";
  return "high";
}

/**
 * Whether two globs can match a common path. Exact overlap of glob languages is costly; this
 * checks each glob against a path made from the other (wildcards filled in), which catches the
 * cases operators write ("src/**" vs "src/db/*.sql", "**" vs anything) and errs towards asking.
 */
function globsOverlap(a: string, b: string): boolean {
  const options = { dot: true, nocase: true };
  return picomatch(a, options)(sampleOf(b)) || picomatch(b, options)(sampleOf(a));
}

function sampleOf(glob: string): string {
  const base = glob.endsWith("/") ? `${glob}**` : glob;
  return base
    .replace(/\*\*/g, "x/x")
    .replace(/\*/g, "x")
    .replace(/\?/g, "x")
    .replace(/\{([^,}]*)[^}]*\}/g, "$1")
    .replace(/\[[^\]]*\]/g, "x");
}
