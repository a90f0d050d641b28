import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";

/** Nearest-rank percentile of `samples` (ms). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

export function describeIntegrationMachine(): string {
  const gitVersion = execFileSync("git", ["--version"], { encoding: "utf8" })
    .trim()
    .replace(/^git version /, "");
  return [
    `nproc ${availableParallelism()} (${cpus()[0]?.model.trim() ?? "unknown cpu"})`,
    `memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node ${process.version}`,
    `git ${gitVersion}`,
    // The machine may be shared; a busy one explains slow figures.
    `load average ${loadavg()[0]?.toFixed(2)} at start`,
  ].join(", ");
}
