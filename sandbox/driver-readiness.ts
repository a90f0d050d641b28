import { Code, ConnectError } from "@connectrpc/connect";
import { silentLogger } from "../shared/log.js";
import type { SandboxDriver } from "./driver.js";
import { plannedDriver, selectDriver, type DriverLocations, type SupervisorSettings } from "./select-driver.js";

export type DriverReadiness =
  | { name: SandboxDriver["name"]; ready: true; fallback: boolean }
  /** `problem` says what is wrong and what to do (selectDriver's own words). */
  | { name: SandboxDriver["name"]; ready: false; problem: string };

/**
 * Whether the runner can make its sandboxes here, checked the way the runner will (selectDriver):
 * a chosen docker driver with no engine, or bwrap or kubernetes that cannot run, is not ready, and
 * `up` must say so instead of announcing a system whose jobs cannot start.
 */
export async function driverReadiness(settings: SupervisorSettings, locations: DriverLocations = {}): Promise<DriverReadiness> {
  const { name, fallback } = await plannedDriver(settings, locations);
  // "auto" settles on a driver that works (bwrap, else process) and never fails.
  if (settings.driver === "auto" || name === "process") return { name, ready: true, fallback };
  try {
    await selectDriver(settings, silentLogger, locations);
    return { name, ready: true, fallback };
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.FailedPrecondition) return { name, ready: false, problem: error.rawMessage };
    throw error;
  }
}
