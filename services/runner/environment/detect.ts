/** Files at the repository root whose content decides what setup installs (hashed into the cache key). */
export const LOCKFILES = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "pnpm-lock.yaml",
  "yarn.lock",
  "package.json",
  "requirements.txt",
  "requirements-dev.txt",
  "pyproject.toml",
  "poetry.lock",
  "uv.lock",
  "go.mod",
  "go.sum",
  "Cargo.toml",
  "Cargo.lock",
] as const;

export interface DetectedSetup {
  /** The file that decided it. */
  file: string;
  setup: string[];
  cache: string[];
}

/**
 * The common ecosystems, first match per ecosystem: one lockfile decides how a JavaScript
 * project installs, a requirements file or pyproject how a Python one does, and go.mod and
 * Cargo.lock fetch their modules. A repository with several ecosystems gets all of them.
 */
const RULES: { ecosystem: string; file: string; setup: string[]; cache: string[] }[] = [
  { ecosystem: "js", file: "package-lock.json", setup: ["npm ci --no-audit --no-fund"], cache: ["node_modules"] },
  { ecosystem: "js", file: "npm-shrinkwrap.json", setup: ["npm ci --no-audit --no-fund"], cache: ["node_modules"] },
  { ecosystem: "js", file: "pnpm-lock.yaml", setup: ["corepack pnpm install --frozen-lockfile"], cache: ["node_modules"] },
  { ecosystem: "js", file: "yarn.lock", setup: ["corepack yarn install --frozen-lockfile"], cache: ["node_modules"] },
  { ecosystem: "python", file: "requirements.txt", setup: ["python3 -m venv .venv", ".venv/bin/pip install -r requirements.txt"], cache: [".venv"] },
  { ecosystem: "python", file: "pyproject.toml", setup: ["python3 -m venv .venv", ".venv/bin/pip install -e ."], cache: [".venv"] },
  { ecosystem: "go", file: "go.mod", setup: ["go mod download"], cache: ["~/go/pkg/mod"] },
  { ecosystem: "rust", file: "Cargo.lock", setup: ["cargo fetch --locked"], cache: ["~/.cargo/registry"] },
];

/** What to install for a repository whose root holds `files`; empty when nothing is recognised. */
export function detectSetup(files: ReadonlySet<string>): DetectedSetup[] {
  const seen = new Set<string>();
  const found: DetectedSetup[] = [];
  for (const rule of RULES) {
    if (seen.has(rule.ecosystem) || !files.has(rule.file)) continue;
    seen.add(rule.ecosystem);
    found.push({ file: rule.file, setup: rule.setup, cache: rule.cache });
  }
  return found;
}
