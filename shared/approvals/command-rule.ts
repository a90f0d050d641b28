import type { ApprovalsSection } from "../config/sections/approvals.js";
import type { MatchedRule } from "./plan-rule.js";

/** The first [[approvals.command]] rule whose pattern occurs in `command`; undefined when none does or it says auto. */
export function commandApprovalRule(command: string, rules: ApprovalsSection["command"]): MatchedRule | undefined {
  const index = rules.findIndex((rule) => new RegExp(rule.pattern).test(command));
  const rule = rules[index];
  if (!rule || rule.action === "auto") return undefined;
  return { action: rule.action, rule: `approvals.command[${index}]: the command matches /${rule.pattern}/` };
}
