import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../shared/paths.js";
import type { LoadResult } from "./load-result.js";

/** Store-level figures from bench/queue-store.ts, by its row label and depth. */
export interface StoreFigures {
  find(system: string, depth: number): LoadResult | undefined;
}

const STORE_BENCH = fileURLToPath(new URL("../queue-store.js", import.meta.url));
const SECTION_TITLE = "## Queue store:";

/**
 * One round of bench/queue-store.js at one depth, not recorded: run between the RPC
 * runs of the same round, so both sets of figures see the same machine.
 */
export async function storeBenchRound(depth: number, jobs: number): Promise<StoreFigures> {
  const output = await runStoreBench(["--depths", String(depth), "--jobs", String(jobs), "--repeat", "1", "--no-record"]);
  return figuresFrom(lastSection(output, "the output of queue-store.js"), "the output of queue-store.js");
}

/** The newest queue-store section of bench/RESULTS.md, and its date. */
export async function recordedStoreFigures(): Promise<StoreFigures & { date: string }> {
  const file = join(packageRoot(), "bench", "RESULTS.md");
  const section = lastSection(await readFile(file, "utf8"), file);
  const date = /\(([^)]+)\)/.exec(section.split("\n", 1)[0] ?? "")?.[1] ?? "undated";
  return { ...figuresFrom(section, file), date };
}

function runStoreBench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its progress lines go straight to our stderr; its stdout is the section we read.
    const child = spawn(process.execPath, [STORE_BENCH, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${STORE_BENCH} ended with ${signal ?? `code ${code}`}; run it alone to see why, or pass --store-figures results`));
    });
  });
}

function lastSection(text: string, where: string): string {
  const start = text.lastIndexOf(SECTION_TITLE);
  if (start < 0) throw new Error(`no "${SECTION_TITLE}" section in ${where}; run node dist/bench/queue-store.js first, or pass --store-figures run`);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

/** Reads the rows of report.ts's table: | system | pending | jobs | seconds | jobs/s | p50 | p99 |. */
function figuresFrom(section: string, where: string): StoreFigures {
  const figures = new Map<string, LoadResult>();
  for (const line of section.split("\n")) {
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (cells.length !== 7) continue;
    const [system, pending, ...numbers] = cells as [string, string, ...string[]];
    const [jobs, seconds, jobsPerSecond, p50, p99] = numbers.map(Number) as [number, number, number, number, number];
    const depth = Number(pending.replaceAll(",", ""));
    if (!Number.isFinite(depth) || !Number.isFinite(jobsPerSecond)) continue;
    figures.set(key(system, depth), { jobs, seconds, jobsPerSecond, claimP50: finite(p50), claimP99: finite(p99) });
  }
  if (figures.size === 0) throw new Error(`no table rows in ${where}; the queue-store table format (bench/support/report.ts) may have changed`);
  return { find: (system, depth) => figures.get(key(system, depth)) };
}

const key = (system: string, depth: number) => `${system}@${depth}`;
const finite = (n: number) => (Number.isFinite(n) ? n : undefined);
