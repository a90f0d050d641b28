import type { Logger } from "../shared/log.js";
import type { SandboxSpec } from "./driver.js";

/**
 * Where one sandbox's lines go: under the job's logger when the caller gives one, so they carry
 * the job's session and attempt too; else under the driver's, naming the job and its owner.
 */
export function sandboxLog(driverLog: Logger, driver: SandboxDriverName, spec: SandboxSpec, more: Record<string, string> = {}): Logger {
  return spec.logger ? spec.logger.child({ driver, ...more }) : driverLog.child({ jobId: spec.jobId, owner: spec.owner, ...more });
}

type SandboxDriverName = "process" | "bwrap" | "docker" | "kubernetes";
