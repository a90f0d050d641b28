#!/usr/bin/env node
// The CLI is compiled TypeScript; `npm run build` (run by `npm start` and `npm test`) produces dist/:
// tsc's output in dist/cli/, and the terminal client bundled into dist/cli/bundle/main.cjs
// (scripts/bundle-cli.ts), which is what runs when it is at least as new as tsc's output.
// This file is CommonJS (bin/package.json): an ES module entry would start Node's module loader
// for nothing, ~10 ms of every start.
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { homedir } = require("node:os");
const { dirname, join } = require("node:path");
const { pathToFileURL } = require("node:url");
const { Script } = require("node:vm");

const entry = join(__dirname, "../dist/cli/main.js");
const bundle = join(__dirname, "../dist/cli/bundle/main.cjs");

const compiled = statSync(entry, { throwIfNoEntry: false });
if (!compiled) {
  console.error("pushpals: dist/ is missing. Run `npm run build` in the pushpals checkout first.");
  process.exit(1);
}
// A bundle older than tsc's output is stale (a bare `tsc -p tsconfig.build.json` rebuilt only dist/cli/).
const bundled = statSync(bundle, { throwIfNoEntry: false });
if (bundled === undefined || bundled.mtimeMs < compiled.mtimeMs) import("../dist/cli/main.js");
else runBundle();

/**
 * Runs the bundle as a CommonJS script compiled with V8's code cache (Node 20 has no compile cache
 * for modules): after the first run of a command, starting it skips parsing and compiling what
 * it ran. The cache lives in the user's cache directory, one file per bundle, Node and command;
 * the bundle's first line names its content, and V8 refuses a cache from another Node or flags.
 */
function runBundle() {
  const source = readFileSync(bundle, "utf8");
  const id = /^\/\/ pushpals-bundle ([0-9a-f]{32})\n/.exec(source)?.[1];
  const command = /^[a-z][a-z-]{0,30}$/.test(process.argv[2] ?? "") ? process.argv[2] : "other";
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const cacheFile = id ? join(cacheRoot, "pushpals", `cli-${id}-${process.version}-${process.arch}-${command}.v8cache`) : undefined;
  let cachedData;
  try {
    if (cacheFile) cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet (or unreadable): compile from source and write one at exit.
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __pushpalsImport) {${source}\n})`, { filename: bundle, cachedData });
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
    // At exit, so the cache holds every function the command compiled. A failure only costs the speed-up.
    process.once("exit", (code) => {
      // Only after a command ran to success: a typo or a usage error would cache next to nothing.
      if (code !== 0) return;
      try {
        makeDirectory(cacheRoot);
        makeDirectory(dirname(cacheFile), 0o700);
        const temporary = `${cacheFile}.${process.pid}`;
        writeFileSync(temporary, script.createCachedData());
        renameSync(temporary, cacheFile);
        forgetOtherBundles(dirname(cacheFile), id);
      } catch {
        // A read-only or full cache directory: run uncached next time too.
      }
    });
  }
  const module = { exports: {} };
  // The service commands (up, serve, demo…) are tsc's output, imported as ES modules relative to the bundle.
  const importFromBundle = (specifier) => import(new URL(specifier, pathToFileURL(bundle)).href);
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle), importFromBundle);
}

/**
 * One level at a time, not mkdirSync's recursive mode: that one never returns for a path under
 * /proc on Node 20 (and an odd XDG_CACHE_HOME must not hang a finished command).
 */
function makeDirectory(path, mode) {
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    if (error?.code !== "EEXIST") throw error;
  }
}

/** Each rebuild is a new bundle id: caches of other bundles left alone for a day are dropped. */
function forgetOtherBundles(directory, id) {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of readdirSync(directory)) {
    if (!name.startsWith("cli-") || name.startsWith(`cli-${id}-`)) continue;
    const path = join(directory, name);
    if (statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
  }
}
