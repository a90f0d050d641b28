import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { packageRoot } from "../../shared/paths.js";

const packageJson = z.object({ name: z.string(), version: z.string() });

/** "pushpals 0.1.0 (node v20.19.0)": what a bug report needs first. */
export function versionLine(): string {
  const { name, version } = packageJson.parse(JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")));
  return `${name} ${version} (node ${process.version})`;
}
