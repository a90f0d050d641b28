import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../../../shared/paths.js";

export interface Timings {
  /** Leases on requests, jobs and completions, renewed every third of it (default 3 s). */
  leaseSeconds?: number;
}

/**
 * A local.toml short enough that a killed holder's work is taken again within a few
 * seconds: leases renewed every third of their length, a half-second safety-net poll (which
 * also reaps expired leases), a retry backoff well under a second, keep-alives (and so the
 * streams' re-read of the store) every 2 s, heartbeats twice a second. The project's check
 * is its test.
 */
export function fastTimings({ leaseSeconds = 3 }: Timings = {}): string {
  return `
[server]
keepalive_seconds = 2

[queues]
default_lease_seconds = ${leaseSeconds}
poll_seconds = 0.5
backoff_base_seconds = 0.2
backoff_max_seconds = 1

[runner]
# The scripted agents work on scratch repositories: where bubblewrap is missing, auto's process driver may run them.
allow_unisolated = true
lease_seconds = ${leaseSeconds}
heartbeat_seconds = 0.5

[integration]
lease_seconds = ${leaseSeconds}
checks = [{ name = "test", command = "node test.js", timeout_seconds = 60 }]
`;
}

/**
 * A config folder for PUSHPALS_CONFIG_DIR: the shipped default.toml plus a local.toml of
 * fast timings, so every service process of one run reads the same settings.
 */
export async function writeConfigDir(dir: string, timings: Timings = {}, extraToml = ""): Promise<string> {
  await copyFile(join(packageRoot(), "configs", "default.toml"), join(dir, "default.toml"));
  await writeFile(join(dir, "local.toml"), `${fastTimings(timings)}${extraToml}`);
  return dir;
}
