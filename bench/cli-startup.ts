import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
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
 */

interface Case {
  name: string;
  args: string[];
  /** The exit code a correct run ends with, and text its output must hold: a fast wrong answer is no figure. */
  exitCode: number;
  expect: RegExp;
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
  const env = cleanEnvironment();
  progress("starting an embedded control plane (SQLite, in-process bus)");
  const plane = await startBenchControlPlane({ store: "sqlite", label: "cli_startup" });
  try {
    const nobody = `http://127.0.0.1:${await closedPort()}`;
    const cases: Case[] = [
      { name: "node -e 0 (bare node)", args: ["-e", "0"], exitCode: 0, expect: /^$/ },
      { name: "pushpals --version", args: [bin, "--version"], exitCode: 0, expect: /^pushpals \d+\.\d+\.\d+ \(node v/ },
      { name: "pushpals status (control plane up)", args: [bin, "status", "--server", plane.url], exitCode: 0, expect: /Queues|queue/i },
      { name: "pushpals status (no server)", args: [bin, "status", "--server", nobody], exitCode: 3, expect: /cannot reach the PushPals server/ },
      { name: "pushpals --help", args: [bin, "--help"], exitCode: 0, expect: /^pushpals — / },
    ];
    const latencies = new Map(cases.map((c) => [c.name, new Latencies()]));
    // One unrecorded round warms the page cache and checks every case's output once.
    for (const c of cases) await timedRun(c.args, env, c);
    for (let round = 0; round < args.runs; round++) {
      for (const c of cases) latencies.get(c.name)!.record(await timedRun(c.args, env, c));
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
      `Wall time of a whole process, spawn to exit, ${args.runs} runs each, the commands taking turns round by round.`,
      "",
      "| command | p50 ms | p95 ms | p50 over bare node, ms |",
      "| --- | ---: | ---: | ---: |",
      ...rows,
    ].join("\n");
    await publishSection(section, args.record, progress);
  } finally {
    await plane.stop();
  }
}

runBenchmark("cli-startup", main);
