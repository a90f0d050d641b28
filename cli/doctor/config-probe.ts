import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../shared/config/schema.js";
import { packageRoot } from "../../shared/paths.js";
import { ok, type ProbeResult } from "./probe.js";

/** Where the config files are read from (PUSHPALS_CONFIG_DIR, else the package's configs/). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PUSHPALS_CONFIG_DIR ?? join(packageRoot(), "configs");
}

/** The config loaded: which profile, and whether the person's own local.toml is there (and where it goes). */
export function configResult(config: Config, env: NodeJS.ProcessEnv = process.env): ProbeResult {
  const local = join(configDir(env), "local.toml");
  const localWords = existsSync(local) ? `with ${local}` : `no ${local} (create it for your own settings)`;
  return ok(`profile ${config.profile}, ${localWords}`);
}
