import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openIntegrator } from "../services/integration/index.js";
import type { IntegrationSettings } from "../services/integration/settings.js";
import { benchThroughQueue, controlPlaneDir, type QueueRun } from "./support/integration-queue.js";
import { createBenchJob, createBenchRepository } from "./support/integration-repo.js";
import { describeIntegrationMachine, percentile } from "./support/integration-report.js";
import { positive, progressFor } from "./support/args.js";
import { publishSection } from "./support/report.js";

/*
 * Integration throughput on a 10k-file repository, strategy cherry-pick, one trivial
 * check (`true`), a bare remote on local disk:
 *  1. the core alone: integrate() one completion after another, start → pushed;
 *  2. the service through the queue (control plane on SQLite, in-process bus, the
 *     worker loop claiming with a lease and recording events): completion enqueued →
 *     integration branch pushed, sent one at a time and as a backlog.
 *
 *   npx tsx bench/integration-merge.ts [--count 40] [--files 10000] [--check-driver host] [--no-record]
 *   (or: npm run build && node dist/bench/integration-merge.js …)
 */

const CHECK_DRIVERS = ["host", "process", "bwrap", "docker"] as const;

interface Args {
  count: number;
  files: number;
  record: boolean;
  checkDriver: (typeof CHECK_DRIVERS)[number];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { count: 40, files: 10_000, record: true, checkDriver: "host" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--count") args.count = positive(argv[++i], flag);
    else if (flag === "--files") args.files = positive(argv[++i], flag);
    else if (flag === "--no-record") args.record = false;
    else if (flag === "--check-driver") args.checkDriver = checkDriver(argv[++i]);
    else throw new Error(`unknown argument ${flag}; use --count N, --files N, --check-driver ${CHECK_DRIVERS.join("|")} or --no-record`);
  }
  return args;
}

function checkDriver(value: string | undefined): Args["checkDriver"] {
  const found = CHECK_DRIVERS.find((d) => d === value);
  if (!found) throw new Error(`--check-driver takes one of ${CHECK_DRIVERS.join(", ")}, got ${value ?? "nothing"}`);
  return found;
}

const progress = progressFor("integration-merge");

/** The moments integrate() reports, in order; each segment is measured from the one before. */
const SEGMENTS = [
  ["fetch + sync", "sync"],
  ["idempotency check + locate", "apply"],
  ["cherry-pick", "check"],
  ["check + merge note + update-ref", "push"],
  ["push", "pushed"],
] as const;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The service logs every step at info; a benchmark wants its own progress lines only.
  process.env.PUSHPALS_LOG_LEVEL ??= "warn";
  const root = await mkdtemp(join(tmpdir(), "pushpals-bench-integration-"));
  try {
    progress(`creating a ${args.files}-file repository and its bare remote in ${root}`);
    const bench = await createBenchRepository(root, args.files);
    progress(`preparing ${3 * args.count + 2} job branches`);
    const jobs = [];
    for (let i = 0; i <= args.count; i++) jobs.push(await createBenchJob(bench, root, i));
    const queued = [];
    for (let i = args.count + 1; i <= 3 * args.count + 1; i++) queued.push(await createBenchJob(bench, root, i));
    const [warmUp, ...rest] = queued;
    if (!warmUp) throw new Error("no jobs prepared");

    const settings: IntegrationSettings = {
      repoPath: bench.repo,
      dataDir: join(root, "data"),
      workDir: join(root, "data"),
      baseBranch: "main",
      branch: "main_agents",
      strategy: "cherry-pick",
      remote: "origin",
      checks: [{ name: "trivial", command: "true", timeoutMs: 60_000 }],
      push: { username: "x-access-token", token: "" },
      committer: { name: "PushPals Integration", email: "pushpals@localhost" },
      pullRequests: { provider: "none", repository: "", apiUrl: "", token: "" },
      deleteJobBranches: true,
    };
    const openStarted = performance.now();
    const integrator = await openIntegrator({ settings });
    const openMs = performance.now() - openStarted;
    progress(`integrator open (worktree of ${args.files} files checked out) in ${openMs.toFixed(0)} ms`);

    const totals: number[] = [];
    const segments = new Map<string, number[]>(SEGMENTS.map(([name]) => [name, []]));
    let measuredMs = 0;
    try {
      for (const [i, job] of jobs.entries()) {
        const marks = new Map<string, number>();
        const started = performance.now();
        const outcome = await integrator.integrate(job, {
          onProgress: (p) => {
            if (p.case !== "integrationStep") return;
            const stage = p.value.stage === "push" && marks.has("push") ? "pushed" : p.value.stage;
            if (!marks.has(stage)) marks.set(stage, performance.now());
          },
        });
        const elapsed = performance.now() - started;
        if (outcome.kind !== "merged") throw new Error(`job ${i} ended ${outcome.kind}: ${JSON.stringify(outcome, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
        if (i === 0) {
          progress(`warm-up merge (creates main_agents on the remote) took ${elapsed.toFixed(0)} ms; not counted`);
          continue;
        }
        totals.push(elapsed);
        measuredMs += elapsed;
        let previous = started;
        for (const [name, mark] of SEGMENTS) {
          const at = marks.get(mark) ?? previous;
          segments.get(name)?.push(at - previous);
          previous = at;
        }
        if (i % 10 === 0) progress(`${i}/${args.count} merged, last ${elapsed.toFixed(0)} ms`);
      }
    } finally {
      await integrator.close();
    }

    progress(`through the queue: ${args.count} one at a time, then a backlog of ${args.count}; checks on ${args.checkDriver}`);
    const queueRuns = await benchThroughQueue({
      repo: bench.repo,
      dataDir: settings.dataDir,
      controlPlaneDir: controlPlaneDir(root),
      checkDriver: args.checkDriver,
      warmUp,
      oneAtATime: rest.slice(0, args.count),
      backlog: rest.slice(args.count),
      progress,
    });

    const perMinute = (totals.length / measuredMs) * 60_000;
    const command = `npx tsx bench/integration-merge.ts${args.count !== 40 ? ` --count ${args.count}` : ""}${args.files !== 10_000 ? ` --files ${args.files}` : ""}${args.checkDriver !== "host" ? ` --check-driver ${args.checkDriver}` : ""}`;
    const fmt = (n: number) => n.toFixed(0);
    const section = [
      `## Integration merge — ${new Date().toISOString()}`,
      "",
      `- command: \`${command}\``,
      `- machine: ${describeIntegrationMachine()}`,
      `- setup: ${args.files.toLocaleString("en")}-file repository, strategy cherry-pick, one check (\`true\`), bare remote on local disk; one completion at a time, each a job branch off main changing one file; integrator open (worktree checkout) ${fmt(openMs)} ms, first merge not counted`,
      "",
      "| completions | seconds | merged/min | start→pushed p50 ms | p99 ms | max ms |",
      "| ---: | ---: | ---: | ---: | ---: | ---: |",
      `| ${totals.length} | ${(measuredMs / 1000).toFixed(1)} | ${perMinute.toFixed(0)} | ${fmt(percentile(totals, 0.5))} | ${fmt(percentile(totals, 0.99))} | ${fmt(Math.max(...totals))} |`,
      "",
      "| stage | p50 ms | p99 ms |",
      "| --- | ---: | ---: |",
      ...SEGMENTS.map(([name]) => {
        const samples = segments.get(name) ?? [];
        return `| ${name} | ${fmt(percentile(samples, 0.5))} | ${fmt(percentile(samples, 0.99))} |`;
      }),
      "",
      `Through the queue (the integration service: control plane on SQLite with the in-process bus, worker loop claiming with a 60 s lease renewed while it works, every step recorded as an event; checks on ${args.checkDriver}). Latency is completion enqueued → integration branch pushed, from the events' times; the first merge through the queue is not counted.`,
      "",
      "| run | completions | seconds | merged/min | enqueued→pushed p50 ms | p99 ms | max ms |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...queueRuns.map(
        (run) =>
          `| ${run.label} | ${run.count} | ${(run.wallMs / 1000).toFixed(1)} | ${((run.count / run.wallMs) * 60_000).toFixed(0)} | ${fmt(percentile(run.latencies, 0.5))} | ${fmt(percentile(run.latencies, 0.99))} | ${fmt(Math.max(...run.latencies))} |`,
      ),
      "",
      "| run | stage | p50 ms | p99 ms |",
      "| --- | --- | ---: | ---: |",
      ...queueRuns.flatMap((run) =>
        queueStages(run).map(([stage, samples]) => `| ${run.label} | ${stage} | ${fmt(percentile(samples, 0.5))} | ${fmt(percentile(samples, 0.99))} |`),
      ),
    ].join("\n");
    await publishSection(section, args.record, progress);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function queueStages(run: QueueRun): Array<[string, number[]]> {
  return [
    ["enqueued → claimed (queue wait)", run.waits],
    ["claimed → pushed (integration)", run.integrations],
    ["pushed → completed (outcome recorded)", run.reports],
  ];
}

await main();
