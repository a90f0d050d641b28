import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { silentLogger } from "../shared/log.js";
import { createBwrapDriver } from "../sandbox/bwrap-driver.js";
import type { SandboxDriver } from "../sandbox/driver.js";
import { createProcessDriver } from "../sandbox/process-driver.js";
import { sandboxEnv } from "../services/runner/sandbox-env.js";
import { worktreePool } from "../services/runner/workspace/index.js";
import { publishSection } from "./support/report.js";
import { createSandboxBenchRepo, gitVersion } from "./support/sandbox-repo.js";
import { describeSandboxMachine, startTable, type StartRow } from "./support/sandbox-report.js";
import { measureStart, type StartSample } from "./support/sandbox-sample.js";
import { tempDir } from "../tests/support/tmp.js";
import { progressFor } from "./support/args.js";

/*
 * A job's start-up: from the runner holding the job to the first output of its first command
 * (worktree on the job's branch, sandbox, `echo ready`), p50/p99, for the process and bwrap
 * drivers, on a 1k- and a 10k-file repository, with a fresh `git worktree add` per job and with
 * the runner's warm worktree pool (runner.warmWorktrees).
 *
 *   npx tsx bench/sandbox-latency.ts [--samples 40] [--no-record]
 *   (or: npm run build && node dist/bench/sandbox-latency.js …)
 */

interface Args {
  samples: number;
  record: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { samples: 40, record: true };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === "--samples") {
      args.samples = Number(argv[++i]);
      if (!Number.isInteger(args.samples) || args.samples < 2) throw new Error(`--samples takes an integer of at least 2, got ${argv[i] ?? "nothing"}`);
    } else if (flag === "--no-record") args.record = false;
    else throw new Error(`unknown argument ${flag}; use --samples N or --no-record`);
  }
  return args;
}

const progress = progressFor("sandbox-latency");
const REPOSITORIES = [1_000, 10_000];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const bwrap = createBwrapDriver({ logger: silentLogger });
  const drivers: SandboxDriver[] = [createProcessDriver({ logger: silentLogger }), ...((await bwrap.available()) ? [bwrap] : [])];
  if (drivers.length === 1) progress("bwrap cannot make a sandbox here; measuring the process driver only");
  const bwrapVersion = await promisify(execFile)("bwrap", ["--version"]).then(
    ({ stdout }) => stdout.trim().replace(/^bubblewrap /, ""),
    () => "not usable",
  );
  const machine = describeSandboxMachine({ git: await gitVersion(), bwrap: bwrapVersion });
  const env = sandboxEnv(["PATH", "HOME", "LANG", "LC_ALL", "TERM", "TZ"], silentLogger);
  const rows: StartRow[] = [];
  const dir = await tempDir("pushpals-bench-sandbox-");
  try {
    for (const files of REPOSITORIES) {
      const repo = join(dir.path, `repo-${files}`);
      progress(`making a ${files.toLocaleString("en")}-file repository`);
      await createSandboxBenchRepo(repo, files);
      // Fewer samples of the slow case keep the run within minutes on a small machine.
      const samples = files > 1000 ? Math.max(2, Math.ceil(args.samples / 2)) : args.samples;
      for (const driver of drivers) {
        for (const warm of [false, true]) {
          const owner = `bench-${driver.name}-${warm ? "warm" : "cold"}`;
          const pool = worktreePool({ repo, dataDir: join(dir.path, "data"), workerId: owner, baseRef: "main", size: warm ? 1 : 0, logger: silentLogger });
          const taken: StartSample[] = [];
          for (let i = 0; i <= samples; i += 1) {
            // As in a runner between jobs: the spare taken by the last job is back before the next.
            await pool.refill();
            const sample = await measureStart({ repo, pool, driver, owner, env });
            if (sample.warm !== warm) throw new Error(`expected a ${warm ? "warm" : "fresh"} worktree, got the other`);
            if (i > 0) taken.push(sample); // the first warms caches (git, the driver's probes)
          }
          await pool.close();
          const row: StartRow = { files, driver: driver.name, workspace: warm ? "warm worktree" : "fresh worktree", samples: taken };
          rows.push(row);
          progress(`${files} files, ${driver.name}, ${row.workspace}: done`);
        }
      }
    }
  } finally {
    await dir.remove();
  }

  const command = `npx tsx bench/sandbox-latency.ts${args.samples !== 40 ? ` --samples ${args.samples}` : ""}`;
  const section = [
    `## Sandbox ready-to-first-command latency — ${new Date().toISOString()}`,
    "",
    `- command: \`${command}\``,
    `- machine: ${machine}`,
    "- measured: from the runner holding a job to the first output of its first command: resolve the base, the job's worktree on `agent/<worker>/<job>`, the sandbox, `echo ready` in it. Worktree removal and sandbox stop come after the job and are not counted. One job at a time; the first of each series is not counted.",
    "- fresh worktree: `git worktree add -B` per job. warm worktree: the runner's pool (`runner.warmWorktrees`, default 1) keeps a spare checked out at the base; a job takes it with `git worktree move` and two ref writes, and the spare is made again after the job starts (here: before the next job, as between jobs in a runner).",
    "- anchors: warm Kubernetes sandboxes p50 ≈ 92 ms; hosted sandboxes ≈ 90–200 ms; goal p50 < 50 ms on the 1k-file repository.",
    "",
    startTable(rows),
  ].join("\n");
  await publishSection(section, args.record, progress);
}

await main();
