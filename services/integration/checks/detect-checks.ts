import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { CheckSpec } from "../settings.js";

/** A check found in the repository, and the file that made it the choice. */
export interface DetectedCheck extends CheckSpec {
  detectedFrom: string;
}

const DETECTED_TIMEOUT_MS = 600_000;
/** What `npm init` writes: a test script that only fails. */
const NPM_PLACEHOLDER = /no test specified/;

const packageJson = z.looseObject({ scripts: z.record(z.string(), z.unknown()).optional() });

/**
 * The repository's own test command, for integration.checks left unset (as the environment
 * detection picks the tools): the first of package.json scripts.test, pytest configuration, go.mod,
 * Cargo.toml and a Makefile `test` target, read from the repository's working tree. Undefined when
 * none is there: merges then run no checks.
 */
export async function detectChecks(repoPath: string): Promise<DetectedCheck | undefined> {
  const read = (file: string) => readFile(join(repoPath, file), "utf8").catch(() => undefined);
  const detected = (command: string, detectedFrom: string): DetectedCheck => ({
    name: `test (detected from ${detectedFrom})`,
    command,
    timeoutMs: DETECTED_TIMEOUT_MS,
    detectedFrom,
  });

  const pkg = await read("package.json");
  if (pkg !== undefined) {
    const parsed = packageJson.safeParse(safeJson(pkg));
    const test = parsed.success ? parsed.data.scripts?.test : undefined;
    if (typeof test === "string" && test.trim() !== "" && !NPM_PLACEHOLDER.test(test)) return detected("npm test", "package.json scripts.test");
  }
  const pyproject = await read("pyproject.toml");
  if (pyproject !== undefined && /^\[tool\.pytest/m.test(pyproject)) return detected("python3 -m pytest", "pyproject.toml [tool.pytest]");
  if ((await read("pytest.ini")) !== undefined) return detected("python3 -m pytest", "pytest.ini");
  const setupCfg = await read("setup.cfg");
  if (setupCfg !== undefined && /^\[tool:pytest\]/m.test(setupCfg)) return detected("python3 -m pytest", "setup.cfg [tool:pytest]");
  const toxIni = await read("tox.ini");
  if (toxIni !== undefined && /^\[pytest\]/m.test(toxIni)) return detected("python3 -m pytest", "tox.ini [pytest]");
  if ((await read("go.mod")) !== undefined) return detected("go test ./...", "go.mod");
  if ((await read("Cargo.toml")) !== undefined) return detected("cargo test", "Cargo.toml");
  for (const makefile of ["GNUmakefile", "makefile", "Makefile"]) {
    const text = await read(makefile);
    if (text !== undefined && /^test\s*:(?!=)/m.test(text)) return detected("make test", `${makefile} test target`);
  }
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
