import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { integrationWorkerId } from "../../services/integration/worker/worker-id.js";
import { defaultGroupsDir } from "../../sandbox/process-groups.js";
import { git } from "../support/git.js";
import { history } from "./support/scene.js";
import { isRunning, spawnServiceChild, until, type ServiceChild } from "./support/service-child.js";
import { createServiceScene, type ServiceScene } from "./support/service-scene.js";

describe("integration service: kill -9 mid-merge, through the queue", () => {
  let s: ServiceScene;
  let child: ServiceChild | undefined;
  let orphan = 0;

  beforeEach(async () => {
    s = await createServiceScene();
  });
  afterEach(async () => {
    await child?.stop();
    child = undefined;
    if (orphan && isRunning(orphan)) process.kill(-orphan, "SIGKILL");
    // The process driver's record folder for this integrator (empty once the sweep ran).
    await rm(join(defaultGroupsDir(), integrationWorkerId(s.git.dataDir)), { recursive: true, force: true });
    await s.close();
  });

  it("the completion is claimed again after its lease expires, the check sandbox left behind is swept, and the job merges exactly once", async () => {
    // An earlier merge, so main_agents has a tip of its own to protect.
    const earlierWorker = s.startWorker();
    const earlier = await s.enqueue(await s.git.job({ "earlier.txt": "e\n" }));
    await s.waitFor(earlier.id, [ItemStatus.COMPLETED]);
    await earlierWorker.stop();
    const tip = await s.git.remoteRef("refs/heads/main_agents");

    // The first run of the check hangs (and records its pid); any later run passes.
    const once = join(s.git.root, "check-ran-once");
    const pidFile = join(s.git.root, "check.pid");
    const overrides = {
      "repo.path": s.git.repo,
      "storage.dataDir": s.git.dataDir,
      "integration.checkDriver": "process",
      "integration.leaseSeconds": 3,
      "integration.checks": [{ name: "hangs-once", command: `test -e ${once} || { touch ${once}; echo $$ > ${pidFile}; exec sleep 120; }`, timeoutSeconds: 300 }],
    };
    child = spawnServiceChild(s.cp.url, overrides);
    const job = await s.git.job({ "a.txt": "a\n" });
    const item = await s.enqueue(job);
    await until("the check is running in the child's sandbox", () => readText(pidFile).trim() !== "");
    orphan = Number(readText(pidFile).trim());
    child.child.kill("SIGKILL");
    expect(await child.exited).toBe("SIGKILL");
    expect(isRunning(orphan)).toBe(true); // the check outlived its integrator

    // Half-way: the job applied on the worktree's detached HEAD, the branch not moved, the item still claimed.
    const worktree = join(s.git.dataDir, "integration");
    expect(await git(worktree, "log", "-1", "--format=%(trailers:key=PushPals-Job,valueonly)", "HEAD")).toBe(job.jobId);
    expect(await git(s.git.repo, "rev-parse", "refs/heads/main_agents")).toBe(tip);
    expect(await s.git.remoteRef("refs/heads/main_agents")).toBe(tip);
    expect((await s.cp.clients.queues.getItem({ itemId: item.id })).item?.status).toBe(ItemStatus.CLAIMED);

    // Restart with the same data dir: sweep, take over the dead lock, claim again once the lease is gone.
    s.startWorker({ overrides });
    const done = await s.waitFor(item.id, [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER], 30_000);
    expect(done.status).toBe(ItemStatus.COMPLETED);
    expect(done.attempts).toBe(2);
    await until("the orphaned check is swept", () => !isRunning(orphan), 5_000);

    const log = await history(s.git.remote, "main_agents");
    expect(log.filter((c) => c.jobs.includes(job.jobId))).toHaveLength(1);
    expect(log[1]?.sha).toBe(tip);
    const result = done.result?.kind.case === "completion" ? done.result.kind.value : undefined;
    expect(log[0]?.sha).toBe(result?.mergedSha);
    const kinds = (await s.events(item.id)).map((e) => e.payload.case);
    expect(kinds.filter((k) => k === "completionClaimed")).toHaveLength(2);
    expect(kinds).toContain("completionRequeued");
  }, 60_000);
});

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}
