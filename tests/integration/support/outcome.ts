import { expect } from "vitest";
import type { IntegrationOutcome } from "../../../services/integration/outcome.js";

/** Narrows an outcome for the assertions after it, failing with the whole outcome when it is another kind. */
export function expectKind<K extends IntegrationOutcome["kind"]>(outcome: IntegrationOutcome, kind: K): Extract<IntegrationOutcome, { kind: K }> {
  if (outcome.kind !== kind) {
    const detail = outcome.kind === "error" ? `${outcome.stage}: ${outcome.error.rawMessage}` : JSON.stringify(outcome, (_, v) => (typeof v === "bigint" ? String(v) : v));
    expect.fail(`expected outcome ${kind}, got ${outcome.kind} (${detail})`);
  }
  return outcome as Extract<IntegrationOutcome, { kind: K }>;
}
