import type { Config } from "../services/kernel/config/schema.js";
import { UNISOLATED_WAYS_OUT } from "../supervisor/runner/lanes/unisolated-gate.js";
import { plannedDriver } from "../supervisor/sandbox/select-driver.js";

/**
 * One line for the start-up banner: the sandbox jobs get, and under the process driver whether
 * worker jobs run at all. Without it, a person on a host without bubblewrap would learn that the
 * agent is refused (or that it runs unisolated) only from a failed job or a log line.
 */
export async function sandboxSummary(supervisor: Config["supervisor"]): Promise<string> {
  const { name, fallback } = await plannedDriver(supervisor);
  if (name !== "process") return name;
  const driver = fallback ? "process driver (auto: bubblewrap is not usable here)" : "process driver";
  if (supervisor.allowUnisolated) {
    return `${driver}, NO isolation: the coding agent's commands run on this host with your rights (supervisor.allow_unisolated = true)`;
  }
  return `${driver}, NO isolation: worker jobs (the coding agent) are refused, their commands would run on this host with the runner's rights; ${UNISOLATED_WAYS_OUT}`;
}
