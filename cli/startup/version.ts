import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../shared/paths.js";

/** "pushpals 0.1.0 (node v20.19.0)": what a bug report needs first. */
export function versionLine(): string {
  const { name, version } = packageNameAndVersion(JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")));
  return `${name} ${version} (node ${process.version})`;
}

// Checked by hand, not with zod: loading zod would double the time `--version` takes.
function packageNameAndVersion(json: unknown): { name: string; version: string } {
  const { name, version } = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  if (typeof name !== "string") throw new Error("package.json: name must be a string");
  if (typeof version !== "string") throw new Error("package.json: version must be a string");
  return { name, version };
}
