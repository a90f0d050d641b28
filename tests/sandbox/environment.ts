import { describe, it } from "vitest";

export interface Requirement {
  /** What the suite needs, e.g. "bwrap". */
  name: string;
  available: boolean;
  /** What a person does to get it. */
  howToGet: string;
}

/**
 * A suite that needs something this machine may lack (bwrap, a container engine) never
 * passes silently without it: locally it is skipped under a title that says why; with
 * PUSHPALS_CI=1 (set by .ci/run) the missing piece is a failing test.
 */
export function describeIfAvailable(title: string, requirement: Requirement, body: () => void): void {
  if (requirement.available) {
    describe(title, body);
    return;
  }
  const reason = `${requirement.name} is not available on this machine; ${requirement.howToGet}`;
  if (process.env.PUSHPALS_CI === "1") {
    describe(title, () => {
      it(`needs ${requirement.name} (PUSHPALS_CI=1 makes a missing one a failure)`, () => {
        throw new Error(reason);
      });
    });
    return;
  }
  console.warn(`[sandbox tests] SKIPPING "${title}": ${reason}`);
  describe.skip(`${title} [skipped: ${reason}]`, body);
}

/**
 * One test that needs `requirement`, under the same rule as describeIfAvailable: skipped with the
 * reason locally, a failure with PUSHPALS_CI=1.
 */
export function itIfAvailable(title: string, requirement: Requirement, body: () => Promise<void>, timeoutMs?: number): void {
  if (requirement.available) {
    it(title, body, timeoutMs);
    return;
  }
  const reason = `${requirement.name} is not available on this machine; ${requirement.howToGet}`;
  if (process.env.PUSHPALS_CI === "1") {
    it(`${title} (needs ${requirement.name}; PUSHPALS_CI=1 makes a missing one a failure)`, () => {
      throw new Error(reason);
    });
    return;
  }
  console.warn(`[tests] SKIPPING "${title}": ${reason}`);
  it.skip(`${title} [skipped: ${reason}]`, body);
}
