import { Logger, run, runMigrations, makeWorkerUtils } from "graphile-worker";
import postgres from "postgres";
import { inParallel, Latencies } from "./latency.js";
import { loadResult, type LoadResult } from "./load-result.js";

const silent = new Logger(() => () => {});
const BATCH = 5000;

/**
 * The same load on graphile-worker: `depth` jobs pending beforehand, then `jobs` jobs
 * added one at a time by `concurrency` producers while a runner of that concurrency
 * works (graphile completes a job when its task resolves). Claim latency is the time
 * from a worker's get_job call to the job starting.
 */
export async function runGraphileLoad(url: string, depth: number, jobs: number, concurrency: number): Promise<LoadResult> {
  await runMigrations({ connectionString: url, logger: silent });
  const utils = await makeWorkerUtils({ connectionString: url, logger: silent });
  try {
    for (let start = 0; start < depth; start += BATCH) {
      const size = Math.min(BATCH, depth - start);
      await utils.addJobs(Array.from({ length: size }, () => ({ identifier: "bench", payload: {} })));
    }
  } finally {
    await utils.release();
  }
  await analyze(url);

  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const claims = new Latencies();
  const askedAt = new Map<string, number>();

  const startedAt = performance.now();
  const runner = await run({
    connectionString: url,
    concurrency,
    maxPoolSize: 10,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: silent,
    taskList: {
      bench: async () => {
        if (++done === jobs) finished();
      },
    },
  });
  runner.events.on("worker:getJob:start", ({ worker }) => askedAt.set(worker.workerId, performance.now()));
  runner.events.on("job:start", ({ worker }) => {
    const asked = askedAt.get(worker.workerId);
    if (asked !== undefined) claims.record(performance.now() - asked);
  });
  try {
    await inParallel(jobs, concurrency, async () => {
      await runner.addJob("bench", {});
    });
    await allDone;
    return loadResult(jobs, startedAt, claims);
  } finally {
    await runner.stop();
  }
}

async function analyze(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`VACUUM ANALYZE graphile_worker._private_jobs`;
  } finally {
    await sql.end();
  }
}
