import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../shared/paths.js";
import { positive, progressFor } from "./support/args.js";
import { Latencies } from "./support/latency.js";
import { describeMachine } from "./support/machine.js";
import { publishSection, runBenchmark } from "./support/report.js";
import { startBenchControlPlane } from "./support/rpc-control-plane.js";

/*
 * CLI start-up (issue 17: `pushpals status` under 150 ms): the wall time of whole `pushpals`
 * processes, from spawn to exit, beside a bare `node -e 0` taken in the same rounds — the
 * machine is shared, so the difference over bare node is the figure that says what our
 * imports cost.
 *
 *   npm run build && node dist/bench/cli-startup.js [--runs 20] [--no-record]
 *
 * `status` runs against a real embedded control plane (SQLite, in-process bus, on a worker
 * thread of this process) and against a port nothing listens on (it must fail fast, exit 3).
 * The commands take turns round by round, so a load spike hits them all alike.
 *
 * bin/pushpals.js runs the bundle (dist/cli/bundle/main.cjs) with V8's code cache, which the
 * unrecorded first round writes; "first run" gives each run an empty cache directory (and pays
 * the cache's writing, as a first run does). "tsc output" runs dist/cli/main.js, the unbundled
 * modules bin/ ran before the bundle, in the same rounds.
 */

interface Case {
  name: string;
  args: string[];
  /** The exit code a correct run ends with, and text its output must hold: a fast wrong answer is no figure. */
  exitCode: number;
  expect: RegExp;
  /** Give each run its own empty XDG_CACHE_HOME: no code cache, as on a first run. */
  coldCache?: boolean;
}

interface Args {
  runs: number;
  record: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 20, record: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--runs") args.runs = positive(argv[++i], "--runs");
    else if (flag === "--no-record") args.record = false;
    else throw new Error(`unknown argument ${flag}; use --runs N or --no-record`);
  }
  return args;
}

const progress = progressFor("cli-startup");

/** A loopback port nothing listens on once this returns. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port from a loopback listener");
  server.close();
  await once(server, "close");
  return address.port;
}

/** Runs one case's process to its end: wall ms from spawn to exit. */
async function timedCase(c: Case, env: NodeJS.ProcessEnv): Promise<number> {
  if (!c.coldCache) return timedRun(c.args, env, c);
  const cache = await mkdtemp(join(tmpdir(), "pushpals-bench-cache-"));
  try {
    return await timedRun(c.args, { ...env, XDG_CACHE_HOME: cache }, c);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}

/** Runs one process to its end: wall ms from spawn to exit. */
async function timedRun(args: string[], env: NodeJS.ProcessEnv, check?: Case): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  const ms = performance.now() - started;
  if (check && (code !== check.exitCode || !check.expect.test(output))) {
    throw new Error(`${check.name}: exit ${code} (want ${check.exitCode}), output ${JSON.stringify(output.slice(0, 400))}`);
  }
  return ms;
}

/** The environment of the runs: this one without PUSHPALS_* (an unknown one would add a warning, a server URL would redirect status). */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PUSHPALS_")));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = await describeMachine();
  const bin = join(packageRoot(), "bin", "pushpals.js");
  const tscMain = join(packageRoot(), "dist", "cli", "main.js");
  // The warm runs' code cache: the bench's own, not the user's ~/.cache.
  const warmCache = await mkdtemp(join(tmpdir(), "pushpals-bench-cache-"));
  const env = { ...cleanEnvironment(), XDG_CACHE_HOME: warmCache };
  progress("starting an embedded control plane (SQLite, in-process bus)");
  const plane = await startBenchControlPlane({ store: "sqlite", label: "cli_startup" });
  try {
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    const cases: Case[] = [
      { name: "node -e 0 (bare node)", args: ["-e", "0"], exitCode: 0, expect: /^$/ },
      { name: "pushpals --version", args: [bin, "--version"], exitCode: 0, expect: /^pushpals \d+\.\d+\.\d+ \(node v/ },
      { name: "pushpals status (control plane up)", args: [bin, "status", "--server", plane.url], exitCode: 0, expect: /Queues|queue/i },
      {
        name: "pushpals status (control plane up, first run: no code cache)",
        args: [bin, "status", "--server", plane.url],
        exitCode: 0,
        expect: /Queues|queue/i,
        coldCache: true,
      },
      { name: "status from tsc output (dist/cli/main.js, unbundled)", args: [tscMain, "status", "--server", plane.url], exitCode: 0, expect: /Queues|queue/i },
      { name: "pushpals status (no server)", args: [bin, "status", "--server", nobody], exitCode: 3, expect: /cannot reach the PushPals server/ },
      { name: "pushpals --help", args: [bin, "--help"], exitCode: 0, expect: /^pushpals — / },
    ];
    const latencies = new Map(cases.map((c) => [c.name, new Latencies()]));
    // One unrecorded round warms the page cache and checks every case's output once.
    for (const c of cases) await timedCase(c, env);
    for (let round = 0; round < args.runs; round++) {
      for (const c of cases) latencies.get(c.name)!.record(await timedCase(c, env));
      if ((round + 1) % 5 === 0) progress(`${round + 1}/${args.runs} rounds`);
    }
    const bare = latencies.get(cases[0]!.name)!;
    const rows = cases.map((c) => {
      const l = latencies.get(c.name)!;
      const [p50, p95] = [l.percentile(0.5), l.percentile(0.95)];
      const over = c === cases[0] ? "—" : `${(p50 - bare.percentile(0.5)).toFixed(0)}`;
      return `| ${c.name} | ${p50.toFixed(0)} | ${p95.toFixed(0)} | ${over} |`;
    });
    const section = [
      `## CLI start-up (${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC)`,
      "",
      `Command: \`npm run build && node dist/bench/cli-startup.js --runs ${args.runs}\`. Machine: ${machine}.`,
      `Wall time of a whole process, spawn to exit, ${args.runs} runs each, the commands taking turns round by round; load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(" ")} at the end.`,
      "",
      "| command | p50 ms | p95 ms | p50 over bare node, ms |",
      "| --- | ---: | ---: | ---: |",
      ...rows,
    ].join("\n");
    await publishSection(section, args.record, progress);
  } finally {
    await plane.stop();
    await rm(warmCache, { recursive: true, force: true });
  }
}

runBenchmark("cli-startup", main);
