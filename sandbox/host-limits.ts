import type { SandboxSpec } from "./driver.js";

/** runner.bwrap's limits, which the process driver's cgroup shares; 0 turns one off. */
export interface HostLimits {
  pidsLimit: number;
  memoryMb: number;
  /** The size of the sandbox's RAM-backed /tmp (and /dev/shm), bwrap only. */
  tmpMb: number;
  fileSizeMb: number;
}

/** The config's defaults, for drivers made without a config (tests, benches); a test keeps them equal. */
export const HOST_LIMIT_DEFAULTS: HostLimits = { pidsLimit: 256, memoryMb: 1024, tmpMb: 256, fileSizeMb: 1024 };

/** The pids and memory limits of one job: its spec's where set, else the driver's; undefined means none. */
export function jobLimits(spec: SandboxSpec, limits: HostLimits): { pids?: number; memoryMb?: number } {
  const pids = spec.limits?.pids ?? limits.pidsLimit;
  const memoryMb = spec.limits?.memoryMb ?? limits.memoryMb;
  return { ...(pids > 0 ? { pids: Math.round(pids) } : {}), ...(memoryMb > 0 ? { memoryMb } : {}) };
}
