import type { Config } from "../shared/config/schema.js";
import { UNISOLATED_WAYS_OUT } from "../services/runner/lanes/unisolated-gate.js";
import { driverReadiness } from "../sandbox/driver-readiness.js";

export interface SandboxSummary {
  /** The banner's sandbox line. */
  line: string;
  /** Set when the runner cannot make its sandboxes here: what is wrong and what to do. */
  problem?: string;
}

/**
 * One line for the start-up banner: the sandbox jobs get, and under the process driver whether
 * worker jobs run at all. Without it, a person on a host without bubblewrap would learn that the
 * agent is refused (or that it runs unisolated) only from a failed job or a log line; a driver
 * that cannot run here (docker with no engine) is named as not ready, with the fix.
 */
export async function sandboxSummary(supervisor: Config["runner"]): Promise<SandboxSummary> {
  const readiness = await driverReadiness(supervisor);
  if (!readiness.ready) return { line: `${readiness.name}, NOT READY: ${readiness.problem}`, problem: readiness.problem };
  const { name, fallback } = readiness;
  if (name !== "process") return { line: name };
  const driver = fallback ? "process driver (auto: bubblewrap is not usable here)" : "process driver";
  if (supervisor.allowUnisolated) {
    return { line: `${driver}, NO isolation: the coding agent's commands run on this host with your rights (runner.allow_unisolated = true)` };
  }
  return {
    line: `${driver}, NO isolation: worker jobs (the coding agent) are refused, their commands would run on this host with the runner's rights; ${UNISOLATED_WAYS_OUT}`,
  };
}
