import { percentile } from "./integration-report.js";
import { HOPS, type Hop, type RunTiming } from "./pipeline-run.js";
import type { BenchLane } from "./pipeline-script.js";
import type { PipelineMode } from "./pipeline-system.js";

export interface Series {
  mode: PipelineMode;
  lane: BenchLane;
  runs: RunTiming[];
}

const ms = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en") : "n/a");
const GOAL_MS: Record<PipelineMode, number> = { embedded: 1000, mesh: 2000 };

/** p50/p99 of the whole way, against the goal (under 1 s embedded, under 2 s mesh). */
export function totalsTable(series: readonly Series[]): string {
  const lines = [
    "| mode | lane | runs | p50 ms | p99 ms | max ms | goal | met at p50 / p99 | runs with a retry |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
  ];
  for (const { mode, lane, runs } of series) {
    const totals = runs.map((r) => r.totalMs);
    const [p50, p99] = [percentile(totals, 0.5), percentile(totals, 0.99)];
    const goal = GOAL_MS[mode];
    const met = `${p50 < goal ? "yes" : "no"} / ${p99 < goal ? "yes" : "no"}`;
    lines.push(
      `| ${mode} | ${lane} | ${runs.length} | ${ms(p50)} | ${ms(p99)} | ${ms(Math.max(...totals))} | < ${ms(goal)} | ${met} | ${runs.filter((r) => r.retries > 0).length} |`,
    );
  }
  return lines.join("\n");
}

/** Where the time goes: each hop's p50/p99 per series, queue waits marked as such. */
export function hopsTable(series: readonly Series[]): string {
  const hops: Hop[] = [...HOPS.map(([hop]) => hop), "event delivered to the client"];
  const header = `| hop | kind | ${series.map((s) => `${s.mode} ${s.lane} p50 / p99 ms`).join(" | ")} |`;
  const lines = [header, `| --- | --- | ${series.map(() => "---:").join(" | ")} |`];
  for (const hop of hops) {
    const kind = hop.includes("queue wait") ? "wait" : hop.startsWith("event") ? "stream" : "work";
    const cells = series.map(({ runs }) => {
      const samples = runs.map((r) => r.hops[hop]);
      return `${ms(percentile(samples, 0.5))} / ${ms(percentile(samples, 0.99))}`;
    });
    lines.push(`| ${hop} | ${kind} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Inside the work hops: each job and integration stage's p50 per series. */
export function stagesTable(series: readonly Series[]): string {
  const names = [...new Set(series.flatMap(({ runs }) => runs.flatMap((r) => Object.keys(r.stages))))];
  names.sort((a, b) => (a.startsWith("job") === b.startsWith("job") ? 0 : a.startsWith("job") ? -1 : 1));
  const lines = [`| stage | ${series.map((s) => `${s.mode} ${s.lane} p50 ms`).join(" | ")} |`, `| --- | ${series.map(() => "---:").join(" | ")} |`];
  for (const name of names) {
    const cells = series.map(({ runs }) =>
      ms(
        percentile(
          runs.flatMap((r) => (name in r.stages ? [r.stages[name]!] : [])),
          0.5,
        ),
      ),
    );
    lines.push(`| ${name} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** The slowest run of each series, by where it spent its time: the tail's story in one line each. */
export function slowestRuns(series: readonly Series[]): string {
  return series
    .map(({ mode, lane, runs }) => {
      const slowest = runs.reduce((a, b) => (b.totalMs > a.totalMs ? b : a), runs[0]!);
      const hops = Object.entries(slowest.hops)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 2);
      const stages = Object.entries(slowest.stages)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 3);
      const list = (entries: [string, number][]) => entries.map(([name, value]) => `${name} ${ms(value)}`).join(", ");
      return `- slowest ${mode} ${lane} run: ${ms(slowest.totalMs)} ms; most in ${list(hops)}; longest stages ${list(stages)}`;
    })
    .join("\n");
}
