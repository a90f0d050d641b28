#!/usr/bin/env node
// The CLI is compiled TypeScript; `npm run build` (run by `npm start` and `npm test`) produces dist/.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error("pushpals: dist/ is missing. Run `npm run build` in the pushpals checkout first.");
  process.exit(1);
}
await import(entry.href);
