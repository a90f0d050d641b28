import type { SandboxSpec } from "../../../sandbox/driver.js";
import type { Lane } from "./lane.js";

/**
 * What the runner knows of a job's sandbox before the lane has its say. It has no `network`: a
 * job's agent sandbox never gets the network, whatever its plan or its agent asks for (only the
 * setup phase's own sandbox does, see ../setup-stage.ts, and integration checks by the operator's
 * integration.check_network).
 */
export type JobSandboxBase = Omit<SandboxSpec, "network" | "modelSocket" | "phase">;

/** The spec of a job's sandbox: the runner's parts plus what the job's lane needs. */
export function laneSandboxSpec(lane: Lane, base: JobSandboxBase): SandboxSpec {
  return { ...base, ...(lane.needsModelSocket ? { modelSocket: true } : {}) };
}
