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
import { rm } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "cli", "bundle");

/** Sources (repo-relative) the bundle imports from dist/ instead of inlining. */
const LEFT_TO_TSC = ["cli/commands/", "cli/demo/", "cli/doctor/", "cli/completion/", "shared/log.ts"];

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
  plugins: [leaveToTsc],
  metafile: true,
  logLevel: "warning",
});
const outputs = Object.keys(result.metafile.outputs).length;
console.log(`dist/cli/bundle: ${outputs} files from ${Object.keys(result.metafile.inputs).length} sources`);
