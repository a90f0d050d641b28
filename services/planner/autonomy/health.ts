import { AutonomyHealth } from "../../../gen/pushpals/v1/autonomy_pb.js";

/**
 * The health evaluator: healthy → constrained (one objective at a time) at half the allowed
 * run of failures → paused at gates.max_consecutive_failures. A merge resets the run; so does
 * a person turning autonomy on again.
 */
export function healthOf(consecutiveFailures: number, maxConsecutiveFailures: number): AutonomyHealth {
  if (consecutiveFailures >= maxConsecutiveFailures) return AutonomyHealth.PAUSED;
  if (consecutiveFailures >= Math.ceil(maxConsecutiveFailures / 2) && consecutiveFailures > 0) return AutonomyHealth.CONSTRAINED;
  return AutonomyHealth.HEALTHY;
}
