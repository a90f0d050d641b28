import { create } from "@bufbuild/protobuf";
import { IntegrationStepSchema, type IntegrationStep, type PullRequestUpdated } from "../../gen/pushpals/v1/events_pb.js";
import type { CheckResult } from "../../gen/pushpals/v1/items_pb.js";

/**
 * Progress of one integration, shaped as the Event payload cases it becomes, so the
 * loop can append each one to the session's audit log as it is.
 */
export type IntegrationProgress = { case: "integrationStep"; value: IntegrationStep } | { case: "pullRequestUpdated"; value: PullRequestUpdated };

export function step(stage: string, detail: string, check?: CheckResult): IntegrationProgress {
  return { case: "integrationStep", value: create(IntegrationStepSchema, { stage, detail, check }) };
}
