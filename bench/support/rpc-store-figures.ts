import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../services/kernel/paths.js";
import type { LoadResult } from "./load-result.js";

/** Store-level figures from bench/queue-store.ts, by its row label and depth. */
export interface StoreFigures {
  /** Where they come from, for the record. */
  source: string;
  find(system: string, depth: number): LoadResult | undefined;
}

const STORE_BENCH = fileURLToPath(new URL("../queue-store.js", import.meta.url));
const SECTION_TITLE = "## Queue store:";

/**
 * "run": runs bench/queue-store.js now (same depths and repeats, not recorded) and reads
 * its table, so both sets of figures come from the same machine state. "results": the
 * newest queue-store section of bench/RESULTS.md.
 */
export async function storeFigures(how: "run" | "results", depths: number[], repeat: number, progress: (m: string) => void): Promise<StoreFigures> {
  if (how === "run") {
    progress("store-level figures: running node dist/bench/queue-store.js first");
    const output = await runStoreBench(["--depths", depths.join(","), "--repeat", String(repeat), "--no-record"]);
    return figuresFrom(lastSection(output, "the output of queue-store.js"), "bench/queue-store.ts run just before, same depths and repeats");
  }
  const file = join(packageRoot(), "bench", "RESULTS.md");
  const section = lastSection(await readFile(file, "utf8"), file);
  const date = /\(([^)]+)\)/.exec(section.split("\n", 1)[0] ?? "")?.[1] ?? "undated";
  return figuresFrom(section, `the newest queue-store section of bench/RESULTS.md (${date})`);
}

function runStoreBench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its progress lines go straight to our stderr; its stdout is the section we parse.
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
function figuresFrom(section: string, source: string): StoreFigures {
  const figures = new Map<string, LoadResult>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((cell) => cell.trim());
    if (cells.length !== 7) continue;
    const [system, pending, ...numbers] = cells as [string, string, ...string[]];
    const [jobs, seconds, jobsPerSecond, p50, p99] = numbers.map(Number) as [number, number, number, number, number];
    const depth = Number(pending.replaceAll(",", ""));
    if (!Number.isFinite(depth) || !Number.isFinite(jobsPerSecond)) continue;
    figures.set(key(system, depth), { jobs, seconds, jobsPerSecond, claimP50: finite(p50), claimP99: finite(p99) });
  }
  if (figures.size === 0) throw new Error(`no table rows in ${source}; the queue-store table format may have changed`);
  return { source, find: (system, depth) => figures.get(key(system, depth)) };
}

const key = (system: string, depth: number) => `${system}@${depth}`;
const finite = (n: number) => (Number.isFinite(n) ? n : undefined);
