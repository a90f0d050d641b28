import { ConfigError, loadConfig } from "../shared/config/load.js";
import type { Config } from "../shared/config/schema.js";

/** Flags every command that starts services accepts, mapped onto config paths. */
export const CONFIG_FLAGS = {
  repo: { type: "string", path: "repo.path" },
  "data-dir": { type: "string", path: "storage.dataDir" },
  host: { type: "string", path: "server.host" },
  port: { type: "string", path: "server.port" },
  profile: { type: "string", path: "profile" },
  "database-url": { type: "string", path: "storage.databaseUrl" },
  "nats-url": { type: "string", path: "bus.natsUrl" },
} as const;

export const configFlagOptions = Object.fromEntries(Object.entries(CONFIG_FLAGS).map(([flag, { type }]) => [flag, { type }])) as {
  [K in keyof typeof CONFIG_FLAGS]: { type: "string" };
};

export function configFromFlags(values: Partial<Record<keyof typeof CONFIG_FLAGS, string | boolean | undefined>>): Config {
  const overrides: Record<string, unknown> = {};
  for (const [flag, { path }] of Object.entries(CONFIG_FLAGS)) {
    const value = values[flag as keyof typeof CONFIG_FLAGS];
    if (typeof value === "string" && path !== "profile") overrides[path] = value;
  }
  const profile = typeof values.profile === "string" ? values.profile : undefined;
  return loadConfig({ overrides, profile });
}

/** Prints a start-up problem the way a person can act on it, and exits 2. */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
