import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../shared/paths.js";

/**
 * The built web UI (`npm run build` makes web/dist; the package ships it), found from the
 * package root, so the same code finds it in a checkout and in an installed package. Undefined
 * when it was never built: the control plane then says it serves no web UI.
 */
export function webUiDir(): string | undefined {
  const dir = join(packageRoot(), "web", "dist");
  return existsSync(join(dir, "index.html")) ? dir : undefined;
}
