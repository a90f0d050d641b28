import { join } from "node:path";
import { packageRoot } from "../../../../shared/paths.js";

/**
 * The generated migrations stay in the source tree (they are not compiled), so both
 * the sources and dist/ find them from the package root. One path string, so
 * scripts/rehome.mjs can follow the folder when it moves.
 */
export function migrationsFolder(kind: "sqlite" | "postgres"): string {
  return join(packageRoot(), "services/control-plane/store/migrations", kind);
}
