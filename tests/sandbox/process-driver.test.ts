import { pino } from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../shared/ids.js";
import { cgroupSupport, type CgroupProbe } from "../../sandbox/cgroup/probe.js";
import { createProcessDriver } from "../../sandbox/process-driver.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { describeDriverConformance } from "./conformance.js";
import { describeIfAvailable } from "./environment.js";
import { collect, killProcessesWith, makeWorkspace, processesWith, uniqueSleep, waitFor, type Workspace } from "./fixtures.js";

let groupsDir: TempDir;
beforeAll(async () => {
  groupsDir = await tempDir("pushpals-groups-");
});
afterAll(async () => {
  await groupsDir.remove();
});

const cgroups = await cgroupSupport();
/** A host where no cgroup can be made: the driver falls back to the marker variable. */
const NO_CGROUPS: CgroupProbe = { usable: false, reason: "forced by the test" };

const capabilities = {
  isolated: false,
  hasGit: true,
  tcpProbe: (port: number) => `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`,
  sequentialExecs: 30,
  workspace: "mounted" as const,
};

describeDriverConformance(
  "process-cgroup",
  { name: "a writable cgroup", available: cgroups.usable, howToGet: "run the tests as root or in a delegated cgroup" },
  () => createProcessDriver({ groupsDir: groupsDir.path }),
  capabilities,
);

describeDriverConformance(
  "process-marker",
  { name: "the process driver", available: true, howToGet: "" },
  () => createProcessDriver({ groupsDir: groupsDir.path, cgroups: NO_CGROUPS }),
  capabilities,
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

  for (const [tracking, probe] of [
    ["cgroup", cgroups],
    ["marker", NO_CGROUPS],
  ] as const) {
    describeIfAvailable(`process driver sweep (${tracking})`, { name: "a writable cgroup", available: probe === NO_CGROUPS || cgroups.usable, howToGet: "run as root" }, () => {
      it("also kills what left the crashed runner's process groups (setsid)", async () => {
        const owner = `sweep-setsid-${tracking}`;
        const crashed = await createProcessDriver({ groupsDir: groupsDir.path, cgroups: probe }).start({ jobId: newId("job"), owner, worktree: workspace.worktree, env: {} });
        const escapee = uniqueSleep();
        try {
          const running = crashed.exec(`setsid sleep ${escapee.seconds} >/dev/null 2>&1 & sleep ${escapee.seconds}`);
          await waitFor("both sleeps to run", async () => (await processesWith(escapee.marker)) === 2, 3000);
          expect(await createProcessDriver({ groupsDir: groupsDir.path, cgroups: probe }).sweep(owner)).toBe(1);
          expect((await running.result).exitCode).toBe(137);
          await waitFor("the escapee to be gone", async () => (await processesWith(escapee.marker)) === 0, 2000);
        } finally {
          await killProcessesWith(escapee.marker);
        }
      });
    });
  }
});

describe("process driver without a cgroup (marker fallback)", () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await makeWorkspace();
  });
  afterAll(async () => {
    await workspace.dir.remove();
  });

  it("kills setsid and double-fork survivors when their command ends, and says in its log that limits are not enforced", async () => {
    const lines: { level: number; msg: string; reason?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const driver = createProcessDriver({ groupsDir: groupsDir.path, cgroups: NO_CGROUPS, logger: pino({ level: "info" }, sink) });
    const sandbox = await driver.start({ jobId: newId("job"), owner: "marker-test", worktree: workspace.worktree, env: { PATH: "/usr/bin:/bin" } });
    const setsid = uniqueSleep();
    const doubleFork = uniqueSleep();
    try {
      const go = `.go-${setsid.seconds}`;
      const execution = collect(
        sandbox.exec(
          `setsid sleep ${setsid.seconds} >/dev/null 2>&1 </dev/null & setsid sh -c 'sleep ${doubleFork.seconds} >/dev/null 2>&1 </dev/null &' >/dev/null 2>&1 &
while [ ! -e ${go} ]; do sleep 0.1; done`,
          { timeoutMs: 30_000 },
        ),
      );
      await waitFor("both escapees to run", async () => (await processesWith(setsid.marker)) === 1 && (await processesWith(doubleFork.marker)) === 1, 5000);
      await collect(sandbox.exec(`touch ${go}`));
      expect((await execution).result.exitCode).toBe(0);
      expect(await processesWith(setsid.marker)).toBe(0);
      expect(await processesWith(doubleFork.marker)).toBe(0);
      await collect(sandbox.exec(`rm ${go}`));
      const warning = lines.find((line) => line.msg.startsWith("no usable cgroup on this host"));
      expect(warning).toMatchObject({ level: 40, reason: "forced by the test" });
    } finally {
      await sandbox.stop();
      await killProcessesWith(setsid.marker);
      await killProcessesWith(doubleFork.marker);
    }
  });
});
