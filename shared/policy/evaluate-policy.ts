import picomatch from "picomatch";
import type { ChangeEntry } from "./change-entry.js";
import type { ChangePolicy } from "./change-policy.js";
import { symlinkEscape } from "./symlink-target.js";

/** The [policy] key (or kind of file) a violation comes from, as an operator would look it up. */
export type PolicyRule = "forbidden_globs" | "allow_gitlinks" | "symlinks" | "special_files" | "max_file_bytes" | "max_change_bytes" | "max_changed_files";

export interface PolicyViolation {
  rule: PolicyRule;
  /** What the rule forbids, e.g. `paths matching forbidden_globs ".github/workflows/**"`. */
  detail: string;
  /** The offending paths. */
  paths: string[];
  /** The same, as people read them: "link -> target (why)", "big.bin (6.0 MiB)". */
  shown: string[];
}

export type PolicyVerdict = { ok: true } | { ok: false; violations: PolicyViolation[] };

/**
 * Every rule of the operator's policy over one change's entries: forbidden paths (a deletion
 * counts: removing CI is a change to it too), gitlinks, symlinks, files git cannot store, and the
 * size and count caps. Pure; both front ends feed it and word its result.
 */
export function evaluatePolicy(entries: readonly ChangeEntry[], policy: ChangePolicy): PolicyVerdict {
  const violations = [
    ...forbiddenPaths(entries, policy.forbiddenGlobs),
    ...gitlinks(entries, policy),
    ...symlinks(entries, policy),
    ...specialFiles(entries),
    ...sizeCaps(entries, policy),
  ];
  return violations.length === 0 ? { ok: true } : { ok: false, violations };
}

function forbiddenPaths(entries: readonly ChangeEntry[], globs: readonly string[]): PolicyViolation[] {
  const byGlob = new Map<string, Set<string>>();
  const matchers = globs.map((glob) => ({ glob, matches: globMatcher(glob) }));
  for (const { path } of entries) {
    const hit = matchers.find(({ matches }) => matches(path));
    if (hit) byGlob.set(hit.glob, (byGlob.get(hit.glob) ?? new Set()).add(path));
  }
  return [...byGlob].map(([glob, paths]) => violation("forbidden_globs", `paths matching forbidden_globs ${JSON.stringify(glob)}`, [...paths]));
}

function gitlinks(entries: readonly ChangeEntry[], policy: ChangePolicy): PolicyViolation[] {
  if (policy.allowGitlinks) return [];
  const paths = distinct(entries.filter((entry) => entry.kind === "gitlink").map((entry) => entry.path));
  return paths.length === 0 ? [] : [violation("allow_gitlinks", "gitlinks (submodules or nested repositories; allow_gitlinks = false)", paths)];
}

function symlinks(entries: readonly ChangeEntry[], policy: ChangePolicy): PolicyViolation[] {
  if (policy.symlinks === "any") return [];
  const offending = new Map<string, string>();
  for (const entry of entries) {
    if (entry.kind !== "symlink") continue;
    const target = entry.linkTarget ?? "";
    const why = policy.symlinks === "none" ? "no symlinks allowed" : symlinkEscape(entry.path, target);
    if (why) offending.set(entry.path, `${entry.path} -> ${target} (${why})`);
  }
  if (offending.size === 0) return [];
  const detail = policy.symlinks === "none" ? `symlinks (symlinks = "none")` : `symlinks out of the worktree or into .git (symlinks = "inside")`;
  return [{ rule: "symlinks", detail, paths: [...offending.keys()], shown: [...offending.values()] }];
}

function specialFiles(entries: readonly ChangeEntry[]): PolicyViolation[] {
  const paths = distinct(entries.filter((entry) => entry.kind === "special").map((entry) => entry.path));
  return paths.length === 0 ? [] : [violation("special_files", "files that are not regular files, symlinks or directories (fifos, sockets, devices)", paths)];
}

function sizeCaps(entries: readonly ChangeEntry[], policy: ChangePolicy): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const stored = entries.filter((entry) => entry.kind !== "deleted");
  const tooBig = stored.filter((entry) => entry.size > policy.maxFileBytes);
  if (tooBig.length > 0) {
    violations.push(sized("max_file_bytes", `files above max_file_bytes (${bytes(policy.maxFileBytes)})`, tooBig));
  }
  const total = stored.reduce((sum, entry) => sum + entry.size, 0);
  if (total > policy.maxChangeBytes) {
    const largest = [...stored].sort((a, b) => b.size - a.size);
    violations.push(sized("max_change_bytes", `changes above max_change_bytes (${bytes(policy.maxChangeBytes)}); this one is ${bytes(total)}, largest first`, largest));
  }
  const paths = distinct(entries.map((entry) => entry.path));
  if (paths.length > policy.maxChangedFiles) {
    violations.push(violation("max_changed_files", `changes of more than max_changed_files (${policy.maxChangedFiles}) paths; this one has ${paths.length}`, paths));
  }
  return violations;
}

/** Case ignored: a case-insensitive checkout (macOS, Windows) writes `.GitHub/Workflows` into `.github/workflows`. "dir/" means everything under dir. */
function globMatcher(glob: string): (path: string) => boolean {
  return picomatch(glob.endsWith("/") ? `${glob}**` : glob, { dot: true, nocase: true });
}

function violation(rule: PolicyRule, detail: string, paths: string[]): PolicyViolation {
  return { rule, detail, paths, shown: paths };
}

function sized(rule: PolicyRule, detail: string, entries: readonly ChangeEntry[]): PolicyViolation {
  const seen = new Map<string, number>();
  for (const entry of entries) seen.set(entry.path, Math.max(seen.get(entry.path) ?? 0, entry.size));
  return { rule, detail, paths: [...seen.keys()], shown: [...seen].map(([path, size]) => `${path} (${bytes(size)})`) };
}

function distinct(paths: string[]): string[] {
  return [...new Set(paths)];
}

/** 300 bytes, 12.0 KiB, 6.0 MiB, 1.5 GiB. */
export function bytes(count: number): string {
  if (count < 1024) return `${count} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = count / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
