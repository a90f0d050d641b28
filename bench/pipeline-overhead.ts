import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScriptedModelServer } from "../dev/fake-model/scripted-model-server.js";
import { describeMachine } from "./support/machine.js";
import { percentile } from "./support/integration-report.js";
import { hopsTable, slowestRuns, stagesTable, totalsTable, type Series } from "./support/pipeline-report.js";
import { timeOneRun, type RunTiming } from "./support/pipeline-run.js";
import { runMessage, runName, runReplies, type BenchLane } from "./support/pipeline-script.js";
import { startPipelineSystem, type PipelineMode, type PipelineSystem } from "./support/pipeline-system.js";
import { publishSection } from "./support/report.js";
import { listOf, positive, progressFor } from "./support/args.js";

/*
 * The system's own overhead from a message accepted (ChatService.Send answered) to the
 * integration branch pushed (the client receives completion_completed), with a scripted
 * model that answers at once and an integration check that does nothing (`true`):
 * p50/p99 over N sequential runs, embedded (`pushpals up`: SQLite, in-process bus) and
 * mesh (`pushpals up --mesh`: a process per service, Postgres + NATS). Each run is its own
 * session, message, plan, job and merge, writing its own file; the modes run side by side
 * and take turns, run by run. Lanes: deterministic (the
 * plan's script runs in the sandbox, no model on the job side) and worker (the agent loop,
 * two scripted turns). Goal: under 1 s embedded, under 2 s mesh.
 *
 *   npx tsx bench/pipeline-overhead.ts [--runs 50] [--modes embedded,mesh] [--lanes deterministic,worker] [--no-record]
 *   (or: npm run build && node dist/bench/pipeline-overhead.js …)
 */

interface Args {
  runs: number;
  modes: PipelineMode[];
  lanes: BenchLane[];
  record: boolean;
  natsUrl: string;
}

const WARM_UP_RUNS = 2;
const RUN_TIMEOUT_MS = 60_000;

function parseArgs(argv: string[]): Args {
  const args: Args = {
    runs: 50,
    modes: ["embedded", "mesh"],
    lanes: ["deterministic", "worker"],
    record: true,
    natsUrl: process.env.PUSHPALS_BENCH_NATS_URL ?? "nats://127.0.0.1:4222",
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--runs") args.runs = positive(argv[++i], flag);
    else if (flag === "--modes") args.modes = listOf(argv[++i], flag, ["embedded", "mesh"] as const);
    else if (flag === "--lanes") args.lanes = listOf(argv[++i], flag, ["deterministic", "worker"] as const);
    else if (flag === "--no-record") args.record = false;
    else throw new Error(`unknown argument ${flag}; use --runs N, --modes embedded,mesh, --lanes deterministic,worker or --no-record`);
  }
  return args;
}

const progress = progressFor("pipeline-overhead");

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = await describeMachine();
  const names = Object.fromEntries(args.lanes.map((lane) => [lane, Array.from({ length: WARM_UP_RUNS + args.runs }, (_, i) => runName(lane, i + 1))]));
  const script = args.lanes.flatMap((lane) => names[lane]!.flatMap((name) => runReplies(lane, name)));
  const systems: { mode: PipelineMode; system: PipelineSystem }[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const series: Series[] = [];
  try {
    // Every mode is up at once and the runs alternate between them, so a machine whose load
    // changes during the benchmark (a shared one) weighs on every mode alike. An idle system
    // only polls every queues.poll_seconds.
    for (const mode of args.modes) {
      const root = await mkdtemp(join(tmpdir(), `pushpals-bench-pipeline-${mode}-`));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      const model = await startScriptedModelServer({ script });
      cleanups.push(() => model.close());
      progress(`${mode}: starting pushpals up${mode === "mesh" ? " --mesh" : ""} in ${root}`);
      const system = await startPipelineSystem({ mode, root, modelUrl: model.url, natsUrl: args.natsUrl });
      cleanups.push(() => system.stop());
      systems.push({ mode, system });
    }
    for (const lane of args.lanes) {
      const runs = new Map(systems.map(({ mode }) => [mode, [] as RunTiming[]]));
      for (const [i, name] of names[lane]!.entries()) {
        for (const { mode, system } of systems) {
          const run = await timeOneRun(system.clients, runMessage(name), RUN_TIMEOUT_MS).catch(async (error: Error) => {
            throw new Error(`${mode} ${lane} ${name}: ${error.message}\nthe system's log ends:\n${await system.logTail()}`);
          });
          if (i >= WARM_UP_RUNS) runs.get(mode)!.push(run);
        }
        if ((i + 1) % 10 === 0 || i + 1 === names[lane]!.length) {
          const sofar = systems.map(
            ({ mode }) =>
              `${mode} ${Math.round(
                percentile(
                  runs.get(mode)!.map((r) => r.totalMs),
                  0.5,
                ),
              )} ms`,
          );
          progress(`${lane}: ${i + 1}/${names[lane]!.length} runs per mode (${WARM_UP_RUNS} warm-up), p50 so far ${sofar.join(", ")}`);
        }
      }
      for (const { mode } of systems) series.push({ mode, lane, runs: runs.get(mode)! });
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: Error) => progress(`clean-up failed: ${error.message}`));
  }
  series.sort((a, b) => args.modes.indexOf(a.mode) - args.modes.indexOf(b.mode) || args.lanes.indexOf(a.lane) - args.lanes.indexOf(b.lane));
  const startTimes = systems.map(({ mode, system }) => `${mode} ${(system.startMs / 1000).toFixed(1)} s`);

  const command = `npx tsx bench/pipeline-overhead.ts${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(" ")}` : ""}`;
  const section = [
    `## Pipeline overhead: message accepted → integration branch pushed (${new Date().toISOString()})`,
    "",
    `- command: \`${command}\``,
    `- machine: ${machine}`,
    `- setup: the demo project (a few files) with a bare origin on local disk; scripted model answering at once; integration check \`true\`; shipped defaults otherwise (sandbox driver auto, checks in the same sandbox, warm worktrees 1); ${args.runs} sequential runs per lane after ${WARM_UP_RUNS} warm-up runs, each its own session, plan, job and merge writing its own file, alternating between the modes (both up at once); start-up until every service answered: ${startTimes.join(", ")}`,
    "- measured: from ChatService.Send's answer to the client receiving completion_completed (the branch is pushed by then); hops from the events' own times",
    "",
    totalsTable(series),
    "",
    hopsTable(series),
    "",
    stagesTable(series),
    "",
    slowestRuns(series),
  ].join("\n");
  await publishSection(section, args.record, progress);
}

main().catch((error: unknown) => {
  process.stderr.write(`pipeline-overhead: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
