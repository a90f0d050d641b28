import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutonomyMode, type Objective } from "../../gen/pushpals/v1/autonomy_pb.js";
import { packageRoot } from "../../shared/paths.js";
import { fromTimestamp } from "../../shared/time.js";
import { waitFor } from "../sandbox/fixtures.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const PLANNER = join(packageRoot(), "tests", "autonomy", "fixtures", "autonomy-planner.ts");

/**
 * Two planner processes, each talking to its own control plane replica, both replicas on one
 * Postgres: exactly one of them dispatches (every objective is named after the process that
 * proposed it), and after the holder is killed with SIGKILL the other takes over once the
 * holder's lease (2 s) has expired — not before.
 */
describe("the dispatch lock across two planner processes on one Postgres", () => {
  let first: TestControlPlane;
  let second: TestControlPlane;
  let repo: TempDir;
  const planners = new Map<string, ChildProcess>();
  beforeAll(async () => {
    first = await startTestControlPlane({ store: "postgres" });
    second = await startTestControlPlane({ databaseUrl: first.config.storage.databaseUrl });
    repo = await tempDir("pushpals-lock-repo-");
    await initRepo(repo.path);
  });
  afterAll(async () => {
    for (const child of planners.values()) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await second?.stop();
    await first?.stop();
    await repo?.remove();
  });

  const startPlanner = (holder: string, cp: TestControlPlane) => {
    const child = spawn(process.execPath, ["--import", "tsx", PLANNER, cp.url, holder, repo.path], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, PUSHPALS_LOG_LEVEL: "warn" },
    });
    planners.set(holder, child);
  };
  const objectives = async (): Promise<Objective[]> => (await first.clients.autonomy.getAutonomyStatus({ objectivesLimit: 500 })).objectives;
  const byWho = (list: Objective[]) => new Set(list.map((o) => o.target.replace(/-\d+$/, "")));

  it("one dispatches; killing it hands the lock to the other after the lease expires", async () => {
    await first.clients.autonomy.setAutonomyMode({ mode: AutonomyMode.ON, by: "test" });
    startPlanner("planner-one", first);
    startPlanner("planner-two", second);
    await waitFor("four dispatches", async () => (await objectives()).length >= 4, 30_000);
    const before = await objectives();
    expect(byWho(before).size, before.map((o) => o.target).join(", ")).toBe(1);
    const [holder] = [...byWho(before)] as [string];
    const other = holder === "planner-one" ? "planner-two" : "planner-one";
    const { lease } = await second.clients.autonomy.getAutonomyStatus({});
    expect(lease?.holder).toBe(holder);

    const victim = planners.get(holder)!;
    victim.kill("SIGKILL");
    await once(victim, "exit");
    // The lease as the killed holder last renewed it: nobody may dispatch before it runs out.
    const lastLease = (await first.clients.autonomy.getAutonomyStatus({})).lease!;
    expect(lastLease.holder).toBe(holder);
    const expiredAt = fromTimestamp(lastLease.expiresAt)!;
    await waitFor(`${other} to dispatch`, async () => byWho(await objectives()).has(other), 30_000);

    const after = await objectives();
    const takenOver = after.filter((o) => o.target.startsWith(`${other}-`));
    const firstByOther = Math.min(...takenOver.map((o) => fromTimestamp(o.createdAt)!));
    expect(firstByOther).toBeGreaterThanOrEqual(expiredAt);
    const lastByHolder = Math.max(...after.filter((o) => o.target.startsWith(`${holder}-`)).map((o) => fromTimestamp(o.createdAt)!));
    expect(lastByHolder).toBeLessThan(firstByOther);
    expect((await first.clients.autonomy.getAutonomyStatus({})).lease?.holder).toBe(other);
  }, 90_000);
});
