import type { SandboxSpec } from "../../sandbox/driver.js";
import type { Lane } from "./lane.js";

/** What the runner knows of a job's sandbox before the lane has its say. */
export type JobSandboxBase = Omit<SandboxSpec, "network">;

/** The spec of a job's sandbox: the runner's parts plus what the job's lane needs. */
export function laneSandboxSpec(lane: Lane, base: JobSandboxBase): SandboxSpec {
  return { ...base, network: lane.needsNetwork };
}
