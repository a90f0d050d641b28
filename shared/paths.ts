import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The pushpals checkout (where package.json is), from both src and dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("pushpals: cannot find package.json above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
