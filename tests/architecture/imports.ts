import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";

export interface ImportEdge {
  /** Repo-relative importing file. */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** Repo-relative path it resolves to (dist/ stripped: bin/ imports the build). */
  to: string;
  line: number;
}

const SOURCE = /\.(ts|tsx|mts|cts|mjs|cjs|js)$/;

/** Every source file under the folders, repo-relative, sorted. */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return; // a folder this tree does not have
    }
    for (const entry of entries) {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (SOURCE.test(entry.name)) found.push(path);
    }
  };
  folders.forEach(walk);
  return found.sort();
}

/**
 * Module specifiers of one file: static imports and re-exports (type-only ones too: an upward
 * type import is still an arrow up), side-effect imports, `import()`, `require()`, `vi.mock()`
 * and `new URL(…, import.meta.url)`. Comments are blanked first so a path in prose is no import.
 */
const SPECIFIER =
  /\b(?:import|export)\s[^;"'`]*?\bfrom\s*(["'])([^"'\n]+)\1|\bimport\s*(["'])([^"'\n]+)\3|\b(?:import|require|vi\.mock|vi\.doMock|vi\.importActual)\s*\(\s*(["'`])([^"'`\n$]+)\5|\bnew\s+URL\s*\(\s*(["'`])([^"'`\n$]+)\7\s*,\s*import\.meta\.url/g;

export function readImports(root: string, file: string, text = readFileSync(join(root, file), "utf8")): ImportEdge[] {
  const code = blankComments(text);
  const edges: ImportEdge[] = [];
  for (const match of code.matchAll(SPECIFIER)) {
    const specifier = match[2] ?? match[4] ?? match[6] ?? match[8] ?? "";
    if (!specifier.startsWith(".")) continue; // a package, or node:
    const resolved = posix.normalize(posix.join(posix.dirname(file), specifier));
    const to = resolved.startsWith("dist/") ? resolved.slice("dist/".length) : resolved;
    edges.push({ from: file, specifier, to, line: code.slice(0, match.index).split("\n").length });
  }
  return edges;
}

/** Replaces // and /* *\/ comments by spaces (keeping line breaks), leaving strings alone. */
function blankComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      out += " ".repeat(stop - i);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
