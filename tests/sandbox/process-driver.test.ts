import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../services/kernel/ids.js";
import { createProcessDriver } from "../../supervisor/sandbox/process-driver.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { describeDriverConformance } from "./conformance.js";
import { makeWorkspace, processesWith, uniqueSleep, waitFor, type Workspace } from "./fixtures.js";

let groupsDir: TempDir;
beforeAll(async () => {
  groupsDir = await tempDir("pushpals-groups-");
});
afterAll(async () => {
  await groupsDir.remove();
});

describeDriverConformance(
  "process",
  { name: "the process driver", available: true, howToGet: "" },
  () => createProcessDriver({ groupsDir: groupsDir.path }),
  {
    isolated: false,
    hasGit: true,
    tcpProbe: (port) => `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`,
    sequentialExecs: 30,
  },
);

describe("process driver sweep", () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await makeWorkspace();
  });
  afterAll(async () => {
    await workspace.dir.remove();
  });

  it("kills the command groups a crashed runner with the same owner left behind, and only those", async () => {
    const owner = "sweep-owner";
    const crashed = createProcessDriver({ groupsDir: groupsDir.path });
    const other = createProcessDriver({ groupsDir: groupsDir.path });
    const spec = { jobId: newId("job"), owner, worktree: workspace.worktree, env: {} };
    const left = await crashed.start(spec);
    const kept = await other.start({ ...spec, jobId: newId("job"), owner: "another-owner" });
    const orphan = uniqueSleep();
    const bystander = uniqueSleep();
    // The first runner "crashes": it never stops its sandbox, and a new one sweeps.
    const orphanRun = left.exec(`sleep ${orphan.seconds} & sleep ${orphan.seconds}`);
    const bystanderRun = kept.exec(`sleep ${bystander.seconds}`);
    await waitFor("both commands to run", async () => (await processesWith(orphan.marker)) === 2 && (await processesWith(bystander.marker)) === 1, 3000);

    const restarted = createProcessDriver({ groupsDir: groupsDir.path });
    expect(await restarted.sweep(owner)).toBe(1);
    await waitFor("the orphaned tree to be gone", async () => (await processesWith(orphan.marker)) === 0, 2000);
    expect((await orphanRun.result).exitCode).toBe(137);
    expect(await processesWith(bystander.marker)).toBe(1);
    expect(await restarted.sweep(owner)).toBe(0);

    await kept.stop();
    expect((await bystanderRun.result).cancelled).toBe(true);
    await left.stop();
  });
});
