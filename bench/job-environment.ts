import { mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { environmentSection } from "../shared/config/sections/environment.js";
import { silentLogger } from "../shared/log.js";
import { dependencyCache } from "../services/runner/environment/dependency-cache.js";
import { copyTree, restoreTree } from "../services/runner/environment/tree-copy.js";
import { createBwrapDriver } from "../sandbox/bwrap-driver.js";
import { createDockerDriver } from "../sandbox/docker-driver.js";
import type { SandboxDriver } from "../sandbox/driver.js";
import { createProcessDriver } from "../sandbox/process-driver.js";
import type { JobEvents } from "../services/runner/job-events.js";
import type { JobLog } from "../services/runner/job-log.js";
import { jobStop } from "../services/runner/job-stop.js";
import { sandboxEnv } from "../services/runner/sandbox-env.js";
import { clearEnvironment, runSetupStage } from "../services/runner/setup-stage.js";
import { createWorktree, removeWorktree } from "../services/runner/workspace/index.js";
import { initRepo } from "../tests/support/git.js";
import { ensureNodeImage, NODE_IMAGE } from "../tests/support/node-image.js";
import { tempDir } from "../tests/support/tmp.js";
import { npmRepository } from "../tests/runner/job-environment-fixture.js";
import { publishSection, runBenchmark } from "./support/report.js";

/*
 * The setup phase per driver: a job's first setup (`npm ci` of one real dependency from the npm
 * registry, network on) against the next jobs' cached environment (restored, no sandbox), and
 * the restore alone on bigger synthetic node_modules trees (hard links or reflinks, with the
 * fingerprint check) next to a plain copy, to judge whether warm worktrees need dependencies.
 *
 *   npx tsx bench/job-environment.ts [--cached 5] [--no-record]
 *   (docker rows need DOCKER_HOST: eval "$(bash scripts/container-engine.sh)")
 */

const progress = (line: string) => process.stderr.write(`[job-environment] ${line}\n`);

function parseArgs(argv: string[]): { cached: number; record: boolean } {
  const args = { cached: 5, record: true };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === "--cached") args.cached = Number(argv[++i]);
    else if (argv[i] === "--no-record") args.record = false;
    else throw new Error(`unknown argument ${argv[i]}; use --cached N or --no-record`);
  }
  if (!Number.isInteger(args.cached) || args.cached < 1) throw new Error("--cached takes a positive integer");
  return args;
}

/** The setup stage's side channels, kept in memory: the bench measures the stage, not the control plane. */
function memoryChannels(): { log: JobLog; events: JobEvents; lines: string[] } {
  const lines: string[] = [];
  const log: JobLog = { write: async (entry) => void lines.push(entry.text), system: async (text) => void lines.push(text), flush: async () => {}, bytes: 0 };
  const events: JobEvents = { stage: async (stage, detail) => void lines.push(`[${stage}] ${detail}`), record: async () => {} };
  return { log, events, lines };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function drivers(): Promise<SandboxDriver[]> {
  const found: SandboxDriver[] = [createProcessDriver({ logger: silentLogger })];
  const bwrap = createBwrapDriver({ logger: silentLogger });
  if (await bwrap.available()) found.push(bwrap);
  else progress("bwrap cannot make a sandbox here; no bwrap row");
  const docker = createDockerDriver({ image: NODE_IMAGE, network: "none", cpus: 1, memoryMb: 1024, pidsLimit: 256 });
  if (await docker.available()) {
    await ensureNodeImage();
    found.push(docker);
  } else progress("no container engine at DOCKER_HOST; no docker row");
  return found;
}

async function setupRows(cachedJobs: number): Promise<string[]> {
  const rows: string[] = [];
  for (const driver of await drivers()) {
    const dir = await tempDir("pushpals-bench-env-");
    try {
      const repo = join(dir.path, "repo");
      const dataDir = join(dir.path, "data");
      await mkdir(repo);
      await initRepo(repo, npmRepository({ ".pushpals/environment.toml": `setup = ["npm ci --no-audit --no-fund"]\ncache = ["node_modules"]\nimage = "${NODE_IMAGE}"\n` }));
      const cache = dependencyCache(join(dataDir, "environments"), silentLogger);
      const times: number[] = [];
      for (let job = 0; job <= cachedJobs; job += 1) {
        const jobId = `job_bench_${driver.name}_${job}`;
        const workspace = await createWorktree({ repo, dataDir, workerId: "bench", jobId, baseRef: "main" });
        const { log, events, lines } = memoryChannels();
        const stop = jobStop();
        const started = performance.now();
        const prepared = await runSetupStage({
          jobId,
          owner: "bench",
          repo,
          workspace,
          driver,
          config: environmentSection.parse({}),
          cache,
          sandboxEnv: sandboxEnv(["PATH", "LANG", "TZ"], silentLogger),
          hostEnv: {},
          allowUnisolated: true,
          maxOutputBytes: 65536,
          log,
          events,
          stop,
          logger: silentLogger,
        });
        times.push(performance.now() - started);
        if (!lines.some((line) => line.includes(job === 0 ? "(fresh setup)" : "(cached environment)")))
          throw new Error(`job ${job} under ${driver.name} did not ${job === 0 ? "run setup" : "reuse the cache"}:\n${lines.join("\n")}`);
        await clearEnvironment(repo, workspace, prepared!.environment, stop.signal);
        await removeWorktree(repo, workspace.path);
      }
      const [first, ...cached] = times;
      progress(`${driver.name}: first ${first!.toFixed(0)} ms, cached median ${median(cached).toFixed(0)} ms`);
      rows.push(`| ${driver.name} | ${first!.toFixed(0)} | ${cached.length} | ${median(cached).toFixed(1)} | ${Math.max(...cached).toFixed(1)} |`);
    } finally {
      await dir.remove();
    }
  }
  return rows;
}

/** A node_modules-like tree: `files` small files in packages of 20. */
async function syntheticTree(root: string, files: number): Promise<void> {
  const body = "module.exports = function () { return 42; };\n".repeat(40);
  for (let at = 0; at < files; at += 20) {
    const pkg = join(root, "node_modules", `pkg-${at / 20}`, "lib");
    await mkdir(pkg, { recursive: true });
    await Promise.all(Array.from({ length: Math.min(20, files - at) }, (_, index) => writeFile(join(pkg, `file-${index}.js`), body)));
  }
}

async function restoreRows(): Promise<string[]> {
  const rows: string[] = [];
  for (const files of [1_000, 10_000]) {
    const dir = await tempDir("pushpals-bench-restore-");
    try {
      const worktree = join(dir.path, "job-0");
      await syntheticTree(worktree, files);
      const cache = dependencyCache(join(dir.path, "environments"), silentLogger);
      const saved = await cache.save("bench", worktree, ["node_modules"]);
      const prepared: number[] = [];
      const linked: number[] = [];
      const copies: number[] = [];
      let method = "";
      for (let round = 1; round <= 5; round += 1) {
        const target = join(dir.path, `job-${round}`);
        await mkdir(target);
        await cache.close(); // the copy linked ahead is ready, as it is when jobs are not back to back
        const started = performance.now();
        const restored = await cache.restore("bench", target, ["node_modules"]);
        prepared.push(performance.now() - started);
        if (!restored?.prepared) throw new Error("the restore did not take the copy linked ahead");
        method = restored.method;
        const linkStarted = performance.now();
        await restoreTree(restored.method, join(worktree, "node_modules"), join(dir.path, `linked-${round}`, "node_modules"));
        linked.push(performance.now() - linkStarted);
        const copyStarted = performance.now();
        await copyTree(join(worktree, "node_modules"), join(dir.path, `copy-${round}`, "node_modules"));
        copies.push(performance.now() - copyStarted);
        for (const made of [target, join(dir.path, `linked-${round}`), join(dir.path, `copy-${round}`)]) await rm(made, { recursive: true, force: true });
      }
      await cache.close();
      rows.push(
        `| ${files.toLocaleString("en")} | ${(saved.bytes / 2 ** 20).toFixed(1)} | ${saved.ms} | ${method} | ${median(prepared).toFixed(1)} | ${median(linked).toFixed(1)} | ${median(copies).toFixed(1)} |`,
      );
      progress(
        `restore of ${files} files: ${median(prepared).toFixed(1)} ms with the copy linked ahead, ${median(linked).toFixed(1)} ms linking now (${method}), plain copy ${median(copies).toFixed(1)} ms`,
      );
    } finally {
      await dir.remove();
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = `nproc ${availableParallelism()} (${cpus()[0]?.model.trim() ?? "unknown cpu"}), node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} at start`;
  const setup = await setupRows(args.cached);
  const restore = await restoreRows();
  const section = [
    `## Job environment setup (${new Date().toISOString()})`,
    "",
    `Command: \`npx tsx bench/job-environment.ts${args.cached === 5 ? "" : ` --cached ${args.cached}`}\``,
    `Machine: ${machine}`,
    "Setup: runSetupStage on a repository with one real npm dependency (is-number 7.0.0) and `.pushpals/environment.toml` (setup `npm ci`, cache node_modules): the first job installs from the npm registry in a setup sandbox with network; the next jobs restore the cached environment (no sandbox, no install). From the stage's start to the environment ready, worktree creation excluded.",
    "",
    "| driver | first job's setup ms | cached jobs | cached setup p50 ms | cached max ms |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...setup,
    "",
    "Restore alone, synthetic node_modules trees (packages of 20 files of 1.8 kB), median of 5: the cache's restore as jobs get it (fingerprint check, then the copy linked ahead in the background moved in by one rename), linking the tree at restore time (`cp -a --link` on this ext4; `--reflink=always` where the filesystem clones), and a plain `cp -a`.",
    "",
    "| files | MiB | save ms (once) | method | restore p50 ms (linked ahead) | linking now p50 ms | plain copy p50 ms |",
    "| ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ...restore,
  ].join("\n");
  await publishSection(section, args.record, progress);
}

runBenchmark("job-environment", main);
