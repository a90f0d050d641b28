import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ItemStatus, QueueName } from "../gen/pushpals/v1/common_pb.js";
import { createMemoryBus } from "../services/control-plane/bus/memory-bus.js";
import { followSessionEvents } from "../services/control-plane/event-follower.js";
import { SessionHub } from "../services/control-plane/session-hub.js";
import { openPostgresStore, openSqliteStore } from "../services/control-plane/store/open-store.js";
import type { Store } from "../services/control-plane/store/store.js";
import { silentLogger } from "../shared/log.js";
import { listOf, positive, progressFor, wholeList } from "./support/args.js";
import { EVENTS_ABOUT_TARGET, fillPostgres, fillSqlite, type GrowthFixture, type GrowthShape } from "./support/growth-fill.js";
import { describeMachine } from "./support/machine.js";
import { benchDatabase } from "./support/postgres-database.js";
import { publishSection, runBenchmark } from "./support/report.js";

/*
 * Growth benchmark (issue 17): the read paths the CLI, the web UI and the planner call
 * on every refresh, at 1k / 10k / 100k jobs pending and as many finished within the SLO
 * window, with a session log of 10 events per job (10k / 100k / 1M). A query is "flat"
 * when its time at the largest size is at most 1.5× its time at the smallest.
 *
 *   npx tsx bench/query-growth.ts [--sizes 1000,10000,100000] [--stores sqlite,postgres] [--repeat 5] [--no-record]
 *
 * Each query runs once to warm up, then --repeat times; the median is reported.
 * PUSHPALS_BENCH_PG_URL names the Postgres (see support/postgres-database.ts).
 */

const OPTIONS = { defaultMaxAttempts: 3, backoffBaseMs: 2000, backoffMaxMs: 300_000, workerStaleMs: 30_000 };
const EVENTS_PER_JOB = 10;
const STORES = ["sqlite", "postgres"] as const;
type StoreKind = (typeof STORES)[number];

interface Args {
  sizes: number[];
  stores: StoreKind[];
  repeat: number;
  record: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sizes: [1000, 10_000, 100_000], stores: [...STORES], repeat: 5, record: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--sizes") args.sizes = wholeList(argv[++i], "--sizes");
    else if (flag === "--stores") args.stores = listOf(argv[++i], "--stores", STORES);
    else if (flag === "--repeat") args.repeat = positive(argv[++i], "--repeat");
    else if (flag === "--no-record") args.record = false;
    else throw new Error(`unknown argument ${flag}; use --sizes A,B,C, --stores sqlite,postgres, --repeat N or --no-record`);
  }
  return args;
}

const progress = progressFor("query-growth");

/** One query as its RPC runs it against the store; resolves to a count to check it did the work. */
interface Query {
  name: string;
  run: (store: Store, hub: SessionHub, fixture: GrowthFixture) => Promise<number>;
  /** What a correct answer counts, to catch a query that got faster by doing less. */
  expect?: (shape: GrowthShape) => number;
}

const QUERIES: Query[] = [
  {
    name: "queue position (GetItem, last pending job)",
    run: async (store, _hub, f) => Number((await store.getItem(f.tailPendingId))?.position?.ahead ?? -1),
    expect: (shape) => shape.pending - 1,
  },
  { name: "GetItem (first pending job)", run: async (store, _hub, f) => Number((await store.getItem(f.headPendingId))?.position?.ahead ?? -1), expect: () => 0 },
  {
    name: "ListItems(pending, 200) — pushpals status",
    run: async (store) => (await store.listItems({ statuses: [ItemStatus.PENDING], limit: 200 })).filter((item) => item.position !== undefined).length,
    expect: (shape) => Math.min(200, shape.pending),
  },
  { name: "ListItems(JOBS, 8) — planner context", run: async (store) => (await store.listItems({ queue: QueueName.JOBS, limit: 8 })).length, expect: () => 8 },
  {
    // What SystemService.getSystemStatus asks the store for, in the same Promise.all.
    name: "GetSystemStatus (depths, workers, 3 SLOs)",
    run: async (store) => {
      const windowMs = 3_600_000;
      const [, , slos] = await Promise.all([
        store.depths(),
        store.listWorkers(),
        Promise.all([QueueName.REQUESTS, QueueName.JOBS, QueueName.COMPLETIONS].map((queue) => store.slo({ queue, windowMs }))),
      ]);
      return slos.reduce((sum, s) => sum + s.succeeded, 0);
    },
    expect: (shape) => shape.finished,
  },
  {
    name: "StreamEvents(item) replay",
    run: async (store, hub, f) => {
      let n = 0;
      const follow = followSessionEvents(store, hub, {
        sessionId: f.sessionId,
        afterSeq: 0n,
        itemId: f.targetItemId,
        live: false,
        keepaliveMs: 60_000,
        signal: new AbortController().signal,
      });
      for await (const item of follow) if (item.kind === "event") n++;
      return n;
    },
    expect: () => EVENTS_ABOUT_TARGET,
  },
  {
    name: "ListEvents(item, 100)",
    run: async (store, _hub, f) => (await store.listEvents({ sessionId: f.sessionId, afterSeq: 0n, limit: 100, itemId: f.targetItemId })).length,
    expect: () => EVENTS_ABOUT_TARGET,
  },
  {
    name: "ListEvents(session tail, 100)",
    run: async (store, _hub, f) => {
      const session = await store.getSession(f.sessionId);
      return (await store.listEvents({ sessionId: f.sessionId, afterSeq: (session?.lastSeq ?? 0n) - 100n, limit: 100 })).length;
    },
    expect: () => 100,
  },
];

interface Measured {
  store: StoreKind;
  shape: GrowthShape;
  medians: Map<string, number>;
}

async function measure(store: Store, fixture: GrowthFixture, shape: GrowthShape, repeat: number): Promise<Map<string, number>> {
  const hub = new SessionHub(createMemoryBus(), store, silentLogger);
  const medians = new Map<string, number>();
  for (const query of QUERIES) {
    const answer = await query.run(store, hub, fixture);
    const expected = query.expect?.(shape);
    if (expected !== undefined && answer !== expected) throw new Error(`${query.name}: answered ${answer}, expected ${expected} (the query is wrong, not slow)`);
    const times: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const started = performance.now();
      await query.run(store, hub, fixture);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    medians.set(query.name, times[Math.floor(times.length / 2)]!);
  }
  return medians;
}

function shapeOf(size: number): GrowthShape {
  return { pending: size, finished: size, events: size * EVENTS_PER_JOB };
}

async function sqliteRun(shape: GrowthShape, repeat: number): Promise<Map<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), "pushpals-growth-"));
  const file = join(dir, "pushpals.db");
  try {
    const store = await openSqliteStore(file, OPTIONS);
    try {
      const sessionId = (await store.createSession({ title: "growth" })).value.session.id;
      const fixture = fillSqlite(file, sessionId, shape, Date.now());
      return await measure(store, fixture, shape, repeat);
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function postgresRun(shape: GrowthShape, repeat: number): Promise<Map<string, number>> {
  const database = await benchDatabase("growth");
  try {
    const store = await openPostgresStore(database.url, OPTIONS);
    try {
      const sessionId = (await store.createSession({ title: "growth" })).value.session.id;
      const fixture = await fillPostgres(database.url, sessionId, shape, Date.now());
      return await measure(store, fixture, shape, repeat);
    } finally {
      await store.close();
    }
  } finally {
    await database.drop();
  }
}

function report(args: Args, measured: Measured[], machine: string, startedAt: Date): string {
  const lines = [
    `## Query growth — ${startedAt.toISOString()}`,
    "",
    `- command: \`npx tsx bench/query-growth.ts --sizes ${args.sizes.join(",")} --stores ${args.stores.join(",")} --repeat ${args.repeat}\``,
    `- machine: ${machine}`,
    `- shape per size N: N jobs pending, N completed within the SLO hour, one session of ${EVENTS_PER_JOB}·N events of which ${EVENTS_ABOUT_TARGET} are about the followed job; median of ${args.repeat} calls after one warm-up, milliseconds; growth = largest ÷ smallest (goal ≤ 1.5×)`,
    "",
  ];
  const sizes = args.sizes.map((n) => n.toLocaleString("en"));
  lines.push(`| store | query | ${sizes.join(" | ")} | growth |`, `| --- | --- | ${sizes.map(() => "---:").join(" | ")} | ---: |`);
  for (const store of args.stores) {
    const runs = measured.filter((m) => m.store === store);
    for (const query of QUERIES) {
      const values = runs.map((run) => run.medians.get(query.name) ?? Number.NaN);
      const growth = values.at(-1)! / values[0]!;
      lines.push(`| ${store} | ${query.name} | ${values.map((v) => v.toFixed(2)).join(" | ")} | ${growth.toFixed(1)}× |`);
    }
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const machine = await describeMachine();
  const measured: Measured[] = [];
  for (const store of args.stores) {
    for (const size of args.sizes) {
      const shape = shapeOf(size);
      progress(`${store}, ${size} pending / finished, ${shape.events} events`);
      const medians = store === "sqlite" ? await sqliteRun(shape, args.repeat) : await postgresRun(shape, args.repeat);
      measured.push({ store, shape, medians });
    }
  }
  await publishSection(report(args, measured, machine, startedAt), args.record, progress);
}

runBenchmark("query-growth", main);
