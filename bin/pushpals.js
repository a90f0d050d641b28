#!/usr/bin/env node
// The CLI is compiled TypeScript; `npm run build` (run by `npm start` and `npm test`) produces dist/:
// tsc's output in dist/cli/, and the terminal client bundled into dist/cli/bundle/ (a start of
// `pushpals status` then compiles a few files, not ~190 modules; scripts/bundle-cli.ts).
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli/main.js", import.meta.url);
const bundle = new URL("../dist/cli/bundle/main.js", import.meta.url);
const compiled = fileURLToPath(entry);
if (!existsSync(compiled)) {
  console.error("pushpals: dist/ is missing. Run `npm run build` in the pushpals checkout first.");
  process.exit(1);
}
// A bundle older than tsc's output is stale (a bare `tsc -p tsconfig.build.json` rebuilt only dist/cli/): skip it.
const bundled = statSync(fileURLToPath(bundle), { throwIfNoEntry: false });
const fresh = bundled !== undefined && bundled.mtimeMs >= statSync(compiled).mtimeMs;
await import((fresh ? bundle : entry).href);
