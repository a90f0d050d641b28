import { appendFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../../shared/paths.js";
import type { LoadResult } from "./load-result.js";

export interface Row {
  system: string;
  depth: number;
  result: LoadResult;
}

const fixed = (value: number | undefined, digits: number) => (value === undefined ? "n/a" : value.toFixed(digits));

export function table(rows: Row[]): string {
  const lines = ["| system | pending beforehand | jobs | seconds | jobs/s | claim p50 ms | claim p99 ms |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"];
  for (const { system, depth, result } of rows) {
    lines.push(
      `| ${system} | ${depth.toLocaleString("en")} | ${result.jobs} | ${fixed(result.seconds, 2)} | ${fixed(result.jobsPerSecond, 0)} | ${fixed(result.claimP50, 2)} | ${fixed(result.claimP99, 2)} |`,
    );
  }
  return lines.join("\n");
}

/** Appends a dated section to the results file, creating it with a title if needed. */
export async function appendResults(file: string, section: string): Promise<void> {
  const existing = await readFile(file, "utf8").catch(() => "");
  const header = existing === "" ? "# Benchmark results\n\nEach section is appended by the benchmark it names.\n" : "";
  await appendFile(file, `${header}\n${section.trim()}\n`);
}

/** The results file every benchmark appends to. */
export function resultsFile(): string {
  return join(packageRoot(), "bench", "RESULTS.md");
}

/** Prints a benchmark's section and, when asked, appends it to bench/RESULTS.md. */
export async function publishSection(section: string, record: boolean, progress: (line: string) => void): Promise<void> {
  process.stdout.write(`${section}\n`);
  if (!record) return;
  await appendResults(resultsFile(), section);
  progress(`appended to ${resultsFile()}`);
}

/** Runs a benchmark's main, turning a failure into one clear line and exit code 1. */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`[${name}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
