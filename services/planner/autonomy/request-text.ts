import type { Candidate } from "../../../gen/pushpals/v1/autonomy_pb.js";

/** What the planner reads for an autonomous objective: the finding, its evidence, and the bounds of the ask. */
export function requestText(candidate: Candidate): string {
  return [
    `Autonomous maintenance objective (${candidate.kind}): ${candidate.title}`,
    "",
    "Evidence:",
    candidate.evidence,
    "",
    "Make the smallest change that resolves this, keep the tests passing, and do not weaken or delete tests or checks to make them pass.",
  ].join("\n");
}
