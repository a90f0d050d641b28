import type { Candidate } from "../../../gen/pushpals/v1/autonomy_pb.js";

/** How the person answered the question about an objective, when they added words to their yes. */
export interface PersonsAnswer {
  answeredBy: string;
  comment: string;
}

/**
 * What the planner reads for an autonomous objective: the finding, its evidence, and the
 * bounds of the ask; plus the person's words when they approved it with a comment, since a
 * "yes, but only …" changes what the work should be.
 */
export function requestText(candidate: Candidate, answer?: PersonsAnswer): string {
  const said = answer && answer.comment.trim() !== "" ? ["", `${answer.answeredBy} approved this objective and said:`, answer.comment.trim()] : [];
  return [
    `Autonomous maintenance objective (${candidate.kind}): ${candidate.title}`,
    "",
    "Evidence:",
    candidate.evidence,
    ...said,
    "",
    "Make the smallest change that resolves this, keep the tests passing, and do not weaken or delete tests or checks to make them pass.",
  ].join("\n");
}
