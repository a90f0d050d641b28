import type { PolicyViolation } from "./evaluate-policy.js";

/** How many paths one rule names before it says "and N more". */
const NAMED_PATHS = 20;

/**
 * The one sentence both front ends fail with: each broken rule with its paths, what did not
 * happen (`consequence`, e.g. "nothing was committed"), and what to do.
 */
export function policyMessage(violations: readonly PolicyViolation[], consequence: string): string {
  const parts = violations.map((v) => `${v.detail}: ${named(v.shown)}`);
  return (
    `the operator's [policy] forbids ${parts.join("; ")} — ${consequence}. ` +
    `Leave those paths out of the change, or ask the operator to change [policy] in the PushPals config if they should be allowed`
  );
}

function named(shown: readonly string[]): string {
  const listed = shown.slice(0, NAMED_PATHS).join(", ");
  return shown.length > NAMED_PATHS ? `${listed} and ${shown.length - NAMED_PATHS} more` : listed;
}
