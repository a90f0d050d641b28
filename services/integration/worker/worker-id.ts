import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { safeHostLabel } from "../../../shared/host-label.js";

/**
 * `integration-<host>-<hash of the data dir>`: the same after a restart (so the new
 * process sweeps check sandboxes its crashed predecessor left), different for another
 * integrator on the same host (another data dir, another worktree).
 */
export function integrationWorkerId(dataDir: string, host = hostname()): string {
  const safeHost = safeHostLabel(32, host) || "host";
  const digest = createHash("sha256").update(dataDir).digest("hex").slice(0, 8);
  return `integration-${safeHost}-${digest}`;
}
