import { describe } from "vitest";
import { approvalCases } from "./cases/approvals.js";
import { atomicityCases } from "./cases/atomicity.js";
import { concurrencyCases } from "./cases/concurrency.js";
import { enqueueClaimCases } from "./cases/enqueue-claim.js";
import { failCancelCases } from "./cases/fail-cancel.js";
import { historyIndependentCases } from "./cases/history-independent.js";
import { leaseCases } from "./cases/leases.js";
import { positionSloCases } from "./cases/position-slo.js";
import { sessionCases } from "./cases/sessions.js";
import { workerLogArtifactCases } from "./cases/workers-logs-artifacts.js";
import { useHarness } from "./harness.js";

/** The one store conformance suite; each dialect's file runs it (so they run in parallel). */
export function describeStoreConformance(dialect: Parameters<typeof useHarness>[0]): void {
  describe(`store conformance: ${dialect}`, () => {
    const h = useHarness(dialect);
    sessionCases(h);
    enqueueClaimCases(h);
    leaseCases(h);
    failCancelCases(h);
    positionSloCases(h);
    historyIndependentCases(h);
    workerLogArtifactCases(h);
    atomicityCases(h);
    concurrencyCases(h);
    approvalCases(h);
  });
}
