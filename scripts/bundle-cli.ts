/**
 * Bundles the terminal client into dist/cli/bundle/ (issue 17: `pushpals status` under 150 ms):
 * one ESM entry plus a lazy chunk per command, with @bufbuild/protobuf and @connectrpc inside,
 * so a start resolves and compiles a handful of files instead of ~190 modules.
 * Run by `npm run build` after tsc; bin/pushpals.js prefers the bundle when it is as new as
 * dist/cli/main.js and falls back to tsc's output otherwise.
 *
 * The commands that run services (up, serve, demo, doctor, completion's usage table) stay
 * tsc's output, imported from the bundle by relative path: they load pino transports by name,
 * a native SQLite binding, worker files and the fake model, all of which a bundle would break,
 * and their start-up is not the one people wait for.
 */
import { rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { ExecutionService } from "../gen/pushpals/v1/execution_pb.js";
import { QueueService } from "../gen/pushpals/v1/queues_pb.js";
import { SystemService } from "../gen/pushpals/v1/system_pb.js";
import { leanDescriptors, type LeanImporter } from "./lean-descriptors.js";

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

/** Rewrites an import of a LEFT_TO_TSC source into an external import of its compiled file. */
const leaveToTsc: Plugin = {
  name: "leave-to-tsc",
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\.?\// }, (args) => {
      const source = repoPath(join(args.resolveDir, args.path)).replace(/\.js$/, ".ts");
      if (!LEFT_TO_TSC.some((prefix) => source.startsWith(prefix))) return undefined;
      const compiled = join(ROOT, "dist", source.replace(/\.ts$/, ".js"));
      return { path: relative(OUT, compiled).split(sep).join("/"), external: true };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ["cli/main.ts"],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // CommonJS packages inside an ESM bundle call require() for Node's modules; give them one.
  banner: { js: 'import { createRequire as __pushpalsRequire } from "node:module"; const require = __pushpalsRequire(import.meta.url);' },
  // Every free `Headers` (connect's) is this light one: Node 20's global loads all of undici.
  inject: ["cli/startup/light-headers.ts"],
  plugins: [leanDescriptors(ROOT, LEAN), leaveToTsc],
  metafile: true,
  logLevel: "warning",
});
// `--metafile PATH` keeps esbuild's account of what went where (which chunk a command loads, and why).
const metafileAt = process.argv.indexOf("--metafile");
if (metafileAt !== -1) await writeFile(process.argv[metafileAt + 1] ?? "bundle-meta.json", JSON.stringify(result.metafile));
const outputs = Object.keys(result.metafile.outputs).length;
console.log(`dist/cli/bundle: ${outputs} files from ${Object.keys(result.metafile.inputs).length} sources`);
