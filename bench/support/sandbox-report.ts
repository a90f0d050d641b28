import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { Latencies } from "./latency.js";
import type { StartSample } from "./sandbox-sample.js";

export interface StartRow {
  files: number;
  driver: string;
  workspace: "fresh worktree" | "warm worktree";
  samples: StartSample[];
}

const ms = (samples: StartSample[], pick: (s: StartSample) => number, p: number) => {
  const latencies = new Latencies();
  for (const sample of samples) latencies.record(pick(sample));
  return latencies.percentile(p).toFixed(1);
};

export function startTable(rows: StartRow[]): string {
  const lines = [
    "| repository | driver | workspace | samples | ready→first command p50 ms | p99 ms | worktree p50 ms | p99 ms | sandbox start p50 ms | first command p50 ms | p99 ms |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { files, driver, workspace, samples } of rows) {
    lines.push(
      `| ${files.toLocaleString("en")} files | ${driver} | ${workspace} | ${samples.length} | **${ms(samples, (s) => s.total, 0.5)}** | ${ms(samples, (s) => s.total, 0.99)} | ${ms(samples, (s) => s.worktree, 0.5)} | ${ms(samples, (s) => s.worktree, 0.99)} | ${ms(samples, (s) => s.sandbox, 0.5)} | ${ms(samples, (s) => s.firstCommand, 0.5)} | ${ms(samples, (s) => s.firstCommand, 0.99)} |`,
    );
  }
  return lines.join("\n");
}

export function describeSandboxMachine(versions: { git: string; bwrap: string }): string {
  return [
    `nproc ${availableParallelism()} (${cpus()[0]?.model.trim() ?? "unknown cpu"})`,
    `memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node ${process.version}`,
    `git ${versions.git}`,
    `bubblewrap ${versions.bwrap}`,
    // A shared machine skews the figures; the load when the run began says how much.
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at start`,
  ].join(", ");
}
