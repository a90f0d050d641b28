#!/usr/bin/env node
// Moves the source tree into the rooms ARCHITECTURE.md describes, and rewrites every path that
// points into a moved file: relative import/export/import()/vi.mock/require/new URL(…, import.meta.url)
// specifiers, and repo-relative paths in docs, configs and comments.
//
//   node scripts/rehome.mjs            move and rewrite (git mv for tracked files)
//   node scripts/rehome.mjs --dry-run  print the moves and the files that would change
//
// Idempotent: the table maps old paths only, so a second run finds nothing to do. A file the
// table does not name moves with the folder it is in, so the tool can be re-run on a tree that
// gained files since it was written. Plain Node, no dependencies: it runs before `npm ci`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Old → new. A folder ends with "/"; a file is named without its extension (one entry moves
 * `x.ts`, `x.js`, `x.d.mts`...). The most specific entry wins, whatever the order here.
 */
export const MOVES = [
  // The control plane owns its store and bus.
  ["services/sessions/", "services/control-plane/"],
  ["services/kernel/store/", "services/control-plane/store/"],
  ["services/kernel/bus/", "services/control-plane/bus/"],
  // The fake model is a dev/test tool: production code never imports it (the demo may).
  ["services/kernel/llm/scripted-model-server-cli", "dev/fake-model/scripted-model-server-cli"],
  ["services/kernel/llm/scripted-model-server-main", "dev/fake-model/scripted-model-server-main"],
  ["services/kernel/llm/scripted-model-server", "dev/fake-model/scripted-model-server"],
  ["services/kernel/llm/scripted-replies", "dev/fake-model/scripted-replies"],
  ["services/kernel/llm/scripted-responses", "dev/fake-model/scripted-responses"],
  ["services/kernel/llm/scripted-script", "dev/fake-model/scripted-script"],
  // The runner's config section is [runner].
  ["services/kernel/config/sections/supervisor", "shared/config/sections/runner"],
  // What every service uses.
  ["services/kernel/", "shared/"],
  // Sandboxes: both the runner and integration's checks import them, downward.
  ["supervisor/sandbox/", "sandbox/"],
  // The runner is a service like the others; the agent loop and workspaces are its parts.
  ["supervisor/runner/", "services/runner/"],
  ["supervisor/agent/", "services/runner/agent/"],
  ["supervisor/workspace/", "services/runner/workspace/"],
  ["supervisor/environment/", "services/runner/environment/"],
  // What is left under supervisor/ is the supervision tree.
  ["supervisor/tree/", "supervisor/"],
];

/** Top-level folders the moves create; tsconfig includes gain them. */
const NEW_ROOTS = ["shared", "sandbox", "dev"];
/** Records of the past and the tool itself keep the old names on purpose. */
const KEEP_TEXT = new Set(["ARCHITECTURE.md", "scripts/rehome.mjs", "tests/architecture/rehome.test.ts", "bench/RESULTS.md", "package-lock.json"]);
const CODE = /\.(ts|mts|cts|mjs|cjs|js|tsx|jsx)$/;
const TEXT = /(\.(json|md|ya?ml|toml|sh|txt)|^\.ci\/[^/.]+|(^|\/)\.gitignore|(^|\/)Dockerfile[^/]*)$/;

const RULES = MOVES.map(([from, to]) => ({ from, to, folder: from.endsWith("/") })).sort((a, b) => b.from.length - a.from.length);
const OLD_TOPS = [...new Set(MOVES.map(([from]) => from.split("/")[0]))];

/** Where a repo-relative path (file or folder, optionally under dist/) lives after the move. */
export function mapPath(path) {
  if (path.startsWith("dist/")) return "dist/" + mapPath(path.slice(5));
  for (const { from, to, folder } of RULES) {
    if (folder) {
      if (path === from.slice(0, -1)) return to.slice(0, -1);
      if (path.startsWith(from)) return to + path.slice(from.length);
    } else if (path === from || (path.startsWith(from) && /^(\.d)?\.[a-z]+$/.test(path.slice(from.length)))) {
      return to + path.slice(from.length);
    }
  }
  return path;
}

const SPECIFIER = new RegExp(
  [
    String.raw`(\b(?:from|import)\s*)(["'])(\.\.?\/[^"'\n]*)\2`,
    String.raw`(\b(?:import|require|vi\.mock|vi\.doMock|vi\.importActual|import\.meta\.resolve)\s*\(\s*)(["'\x60])(\.\.?\/[^"'\x60\n$]*)\5`,
    String.raw`(\bnew\s+URL\s*\(\s*)(["'\x60])(\.\.?\/?[^"'\x60\n$]*)\8(?=\s*,\s*import\.meta\.url)`,
  ].join("|"),
  "g",
);

/** Rewrites relative specifiers of a file that was at `oldFile` and is now at `newFile`. */
export function rewriteSpecifiers(text, oldFile, newFile) {
  return text.replace(SPECIFIER, (whole, ...groups) => {
    const found = [0, 3, 6].find((i) => groups[i + 2] !== undefined);
    const [prefix, quote, spec] = groups.slice(found, found + 3);
    const target = posix.normalize(posix.join(posix.dirname(oldFile), spec));
    const moved = mapPath(target.replace(/\/$/, ""));
    if (oldFile === newFile && moved === target.replace(/\/$/, "")) return whole;
    let next = posix.relative(posix.dirname(newFile), moved) || ".";
    if (!next.startsWith(".")) next = "./" + next;
    if (spec.endsWith("/") && !next.endsWith("/")) next += "/";
    return `${prefix}${quote}${next}${quote}`;
  });
}

const PATH_TEXT = new RegExp(String.raw`(?<![\w@./-])((?:\./)?(?:dist/)?(?:${OLD_TOPS.join("|")})/[\w./*-]*[\w*/-])`, "g");

/** Rewrites repo-relative paths (`services/kernel/git/host-git.ts`, `./dist/supervisor/...`) in prose and configs. */
export function rewritePathText(text) {
  return text.replace(PATH_TEXT, (whole) => {
    const dot = whole.startsWith("./") ? "./" : "";
    const path = whole.slice(dot.length);
    const trailing = path.endsWith("/") ? "/" : "";
    const mapped = mapPath(path.replace(/\/$/, ""));
    return mapped === path.replace(/\/$/, "") ? whole : dot + mapped + trailing;
  });
}

/** tsconfig includes: the new top-level rooms next to "gen", once. */
export function rewriteTsconfig(text, root) {
  return text.replace(/("include"\s*:\s*\[)([^\]]*)(\])/, (whole, open, list, close) => {
    const entries = [...list.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    if (!entries.includes("gen")) return whole;
    const missing = NEW_ROOTS.filter((r) => !entries.includes(r) && existsSync(join(root, r)));
    if (missing.length === 0) return whole;
    const at = entries.indexOf("gen") + 1;
    const next = [...entries.slice(0, at), ...missing, ...entries.slice(at)];
    const multiline = list.includes("\n");
    const indent = multiline ? (list.match(/\n(\s*)"/)?.[1] ?? "    ") : "";
    const body = multiline ? next.map((e) => `\n${indent}"${e}"`).join(",") + list.slice(list.lastIndexOf('"') + 1) : next.map((e) => `"${e}"`).join(", ");
    return open + body + close;
  });
}

function git(root, args) {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

function listFiles(root) {
  const tracked = git(root, ["ls-files", "-z"]).split("\0").filter(Boolean);
  const untracked = git(root, ["ls-files", "-z", "-o", "--exclude-standard"]).split("\0").filter(Boolean);
  const existing = (f) => existsSync(join(root, f));
  return { tracked: new Set(tracked.filter(existing)), all: [...new Set([...tracked, ...untracked])].filter(existing).sort() };
}

function removeEmptyDirs(root, dir) {
  const full = join(root, dir);
  if (!existsSync(full)) return;
  for (const entry of readdirSync(full, { withFileTypes: true })) if (entry.isDirectory()) removeEmptyDirs(root, join(dir, entry.name));
  if (readdirSync(full).length === 0) rmdirSync(full);
}

export function rehome(root, { dryRun = false, log = (line) => process.stdout.write(line + "\n") } = {}) {
  const { tracked, all } = listFiles(root);
  const plan = all.filter((f) => !f.startsWith("node_modules/")).map((from) => ({ from, to: mapPath(from) }));
  const moves = plan.filter(({ from, to }) => from !== to);
  const clash = moves.find(({ to }) => existsSync(join(root, to)));
  if (clash) throw new Error(`rehome: ${clash.from} would move onto ${clash.to}, which exists; move or delete one of them by hand, then run again`);

  for (const { from, to } of moves) {
    if (dryRun) {
      log(`move ${from} -> ${to}`);
      continue;
    }
    mkdirSync(dirname(join(root, to)), { recursive: true });
    if (tracked.has(from)) git(root, ["mv", "--", from, to]);
    else renameSync(join(root, from), join(root, to));
  }

  let changed = 0;
  for (const { from, to } of plan) {
    const isCode = CODE.test(to);
    const isText = TEXT.test(to) && !KEEP_TEXT.has(to);
    if (!isCode && !isText) continue;
    const file = join(root, dryRun ? from : to);
    const before = readFileSync(file, "utf8");
    let after = isCode ? rewriteSpecifiers(before, from, to) : before;
    if (!KEEP_TEXT.has(to)) after = rewritePathText(after);
    if (/(^|\/)tsconfig[^/]*\.json$/.test(to) && !dryRun) after = rewriteTsconfig(after, root);
    if (after === before) continue;
    changed++;
    if (dryRun) log(`rewrite ${to}`);
    else writeFileSync(file, after);
  }
  if (!dryRun) for (const top of OLD_TOPS) removeEmptyDirs(root, top);
  log(`rehome: ${moves.length} files moved, ${changed} files rewritten${dryRun ? " (dry run: nothing changed)" : ""}`);
  return { moved: moves.length, rewritten: changed };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = git(process.cwd(), ["rev-parse", "--show-toplevel"]).trim();
  rehome(root, { dryRun: process.argv.includes("--dry-run") });
}
