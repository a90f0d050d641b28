import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { packageRoot } from "../../services/kernel/paths.js";

export const versionUsage = "pushpals --version";

/** Prints the version of the installed package (the package.json beside dist/), so a report names what ran. */
export async function versionCommand(): Promise<void> {
  const manifest = z.object({ version: z.string() }).parse(JSON.parse(await readFile(join(packageRoot(), "package.json"), "utf8")));
  process.stdout.write(`pushpals ${manifest.version}\n`);
}
