/**
 * Bundles the terminal client into dist/cli/bundle/main.cjs (issue 17: `pushpals status` under
 * 150 ms): one file with @bufbuild/protobuf and @connectrpc inside, so a start reads one file
 * (compiled from V8's code cache after the first run) instead of resolving ~190 modules.
 * Run by `npm run build` after tsc; bin/pushpals.js prefers the bundle when it is as new as
 * dist/cli/main.js and falls back to tsc's output otherwise.
 *
 * The commands that run services (up, serve, demo, doctor, completion's usage table) stay
 * tsc's output, imported from the bundle by relative path: they load pino transports by name,
 * a native SQLite binding, worker files and the fake model, all of which a bundle would break,
 * and their start-up is not the one people wait for.
 */
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { ExecutionService } from "../gen/pushpals/v1/execution_pb.js";
import { QueueService } from "../gen/pushpals/v1/queues_pb.js";
import { SystemService } from "../gen/pushpals/v1/system_pb.js";
import { leanDescriptors, nativeBase64Descriptors, type LeanImporter } from "./lean-descriptors.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "cli", "bundle");

/** Sources (repo-relative) the bundle imports from dist/ instead of inlining. */
const LEFT_TO_TSC = ["cli/commands/", "cli/demo/", "cli/doctor/", "cli/completion/", "shared/log.ts"];

/**
 * Modules whose generated imports shrink to what they use (scripts/lean-descriptors.ts): what
 * `pushpals status` loads. A method status starts calling must be added here, or the call fails
 * with "not a function" (tests/cli cover every call it makes).
 */
const LEAN: LeanImporter[] = [
  {
    importer: "cli/client/status-command.ts",
    methods: [SystemService.method.getSystemStatus, QueueService.method.listItems, ExecutionService.method.listWorkers],
  },
  { importer: "cli/client/format.ts" },
  { importer: "shared/errors.ts" },
];

const repoPath = (path: string) => relative(ROOT, path).split(sep).join("/");

/** The specifiers leaveToTsc made external, as the bundle imports them. */
const externals = new Set<string>();

/** Rewrites an import of a LEFT_TO_TSC source into an external import of its compiled file. */
const leaveToTsc: Plugin = {
  name: "leave-to-tsc",
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\.?\// }, (args) => {
      const source = repoPath(join(args.resolveDir, args.path)).replace(/\.js$/, ".ts");
      if (!LEFT_TO_TSC.some((prefix) => source.startsWith(prefix))) return undefined;
      const compiled = join(ROOT, "dist", source.replace(/\.ts$/, ".js"));
      const path = relative(OUT, compiled).split(sep).join("/");
      externals.add(path);
      return { path, external: true };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ["cli/main.ts"],
  outfile: join(OUT, "main.cjs"),
  bundle: true,
  // One CommonJS file, not ES modules: bin/pushpals.js compiles it as a vm.Script with V8's code
  // cache, which Node 20 offers for scripts only. A command's modules still run only when it
  // runs (esbuild turns import() of bundled code into a lazy initialiser).
  format: "cjs",
  platform: "node",
  target: "node20",
  // shared/paths.ts finds the package from its own URL: the bundle's.
  define: { "import.meta.url": "__pushpalsBundleUrl" },
  // Every free `Headers` (connect's) is this light one: Node 20's global loads all of undici.
  inject: ["cli/startup/light-headers.ts"],
  plugins: [leanDescriptors(ROOT, LEAN), nativeBase64Descriptors, leaveToTsc],
  metafile: true,
  write: false,
  logLevel: "warning",
});
const [output] = result.outputFiles;
if (!output || result.outputFiles.length !== 1) throw new Error(`esbuild wrote ${result.outputFiles.length} files; expected the one bundle`);
await mkdir(OUT, { recursive: true });
// A vm.Script's own import() needs an experimental loader hook (and prints a warning): the bundle
// calls bin/pushpals.js's __pushpalsImport instead, a real import() relative to the bundle.
let text = output.text;
for (const specifier of externals) text = text.replaceAll(`import(${JSON.stringify(specifier)})`, `__pushpalsImport(${JSON.stringify(specifier)})`);
const leftover = /\bimport\(/.exec(text);
if (leftover) throw new Error(`the bundle still calls import() at ${text.slice(leftover.index, leftover.index + 80)}; leave that module to tsc (LEFT_TO_TSC)`);
// The first line names the content: bin/pushpals.js keys its code cache on it (V8 itself checks only
// the source's length, so a cache must never be offered to a different bundle).
const id = createHash("sha256").update(text).digest("hex").slice(0, 32);
// Strict from the first statement (esbuild's own "use strict" would come after this line).
const bundleUrl = 'const __pushpalsBundleUrl = require("node:url").pathToFileURL(__filename).href;';
await writeFile(output.path, `// pushpals-bundle ${id}\n"use strict";\n${bundleUrl}\n${text}`);
// `--metafile PATH` keeps esbuild's account of what went in (and why: each input's importers).
const metafileAt = process.argv.indexOf("--metafile");
if (metafileAt !== -1) await writeFile(process.argv[metafileAt + 1] ?? "bundle-meta.json", JSON.stringify(result.metafile));
console.log(`dist/cli/bundle/main.cjs: ${(text.length / 1024).toFixed(0)} KiB from ${Object.keys(result.metafile.inputs).length} sources (${id.slice(0, 12)})`);
