import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCgroup, openCgroup } from "../../sandbox/cgroup/cgroup.js";
import { probeCgroups, type CgroupSupport } from "../../sandbox/cgroup/probe.js";
import { jobCgroupName, sweepCgroups } from "../../sandbox/cgroup/sweep.js";
import { launched } from "../../sandbox/launcher.js";
import { SETUP_FAILED_EXIT_CODE } from "../../sandbox/rlimits.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { describeIfAvailable } from "./environment.js";
import { killProcessesWith, processesWith, uniqueSleep, waitFor } from "./fixtures.js";

/**
 * The cgroup module on this host's real hierarchies. Here (root, cgroup v1 with pids, memory
 * and freezer, and a cgroup2 mount without controllers) both versions can be exercised: v1 with
 * limits, v2 for tracking and cgroup.kill.
 */
const probes = { 1: await probeCgroups({ version: 1 }), 2: await probeCgroups({ version: 2 }) };
const markers: string[] = [];
afterEach(async () => {
  for (const marker of markers.splice(0)) await killProcessesWith(marker);
});

/** Starts `sh -c script` through the launcher into `procsFiles`; resolves with its exit status. */
function startIn(procsFiles: string[], script: string): { exited: Promise<{ code: number | null; stderr: string }> } {
  const command = launched({ file: "/bin/sh", args: ["-c", script], cwd: "/", env: { PATH: "/usr/bin:/bin" }, stdin: undefined }, { procsFiles, rlimits: {} });
  const child = spawn(command.file, command.args, { env: command.env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (data: string) => (stderr += data));
  return { exited: new Promise((resolve) => child.once("close", (code) => resolve({ code, stderr }))) };
}

for (const version of [1, 2] as const) {
  const probe = probes[version];
  describeIfAvailable(
    `cgroup v${version}`,
    { name: `a writable cgroup v${version} hierarchy`, available: probe.usable, howToGet: `run as root or in a delegated cgroup (${probe.usable ? "" : probe.reason})` },
    () => {
      let support: CgroupSupport;
      beforeAll(() => {
        if (probe.usable) support = probe.support;
      });

      it("places a process before it runs, keeps setsid and env -i descendants as members, and kills them all", async () => {
        const { cgroup } = await createCgroup(support, jobCgroupName("cgroup-test", `members-${process.pid}`), {});
        const escapee = uniqueSleep();
        const cleared = uniqueSleep();
        markers.push(escapee.marker, cleared.marker);
        const member = cgroup.child("c1");
        const { exited } = startIn(member.procsFiles, `setsid sleep ${escapee.seconds} >/dev/null 2>&1 & env -i setsid sleep ${cleared.seconds} >/dev/null 2>&1 & exit 0`);
        expect((await exited).code).toBe(0);
        // The control: both escaped their shell and still run, as members of the job's cgroup.
        await waitFor("both escapees to run", async () => (await processesWith(escapee.marker)) === 1 && (await processesWith(cleared.marker)) === 1, 5000);
        expect((await cgroup.members()).length).toBe(2);
        expect((await member.members()).length).toBe(2);

        await cgroup.kill();
        expect(await processesWith(escapee.marker)).toBe(0);
        expect(await processesWith(cleared.marker)).toBe(0);
        expect(await cgroup.members()).toEqual([]);
        await cgroup.remove();
        for (const file of cgroup.procsFiles) expect(existsSync(file)).toBe(false);
        await cgroup.remove();
      });

      it("kills a fork loop that keeps making new processes", async () => {
        const { cgroup } = await createCgroup(support, jobCgroupName("cgroup-test", `loop-${process.pid}`), { pids: 200 });
        const { seconds, marker } = uniqueSleep();
        markers.push(marker);
        // Paced, so that without a pids controller (v2 here) it cannot flood the host before the kill.
        startIn(cgroup.procsFiles, `while :; do sleep ${seconds} & sleep 0.01; done`);
        await waitFor("the loop to fork", async () => (await processesWith(marker)) > 5, 5000);
        await cgroup.kill();
        expect(await processesWith(marker)).toBe(0);
        await cgroup.remove();
      });

      if (probe.usable && probe.support.pids) {
        it("writes the pids and memory limits where the controllers are usable", async () => {
          const { cgroup, applied } = await createCgroup(support, jobCgroupName("cgroup-test", `limits-${process.pid}`), { pids: 77, memoryBytes: 96 * 1024 * 1024 });
          expect(applied.pids).toBe(77);
          expect((await readFile(join(support.pids!, cgroup.name, "pids.max"), "utf8")).trim()).toBe("77");
          if (support.memory) {
            expect(applied.memoryBytes).toBe(96 * 1024 * 1024);
            const file = version === 1 ? "memory.limit_in_bytes" : "memory.max";
            expect((await readFile(join(support.memory, cgroup.name, file), "utf8")).trim()).toBe(String(96 * 1024 * 1024));
          }
          await cgroup.remove();
        });
      } else {
        it("tracks and kills without limits where no controller is delegated", async () => {
          const { applied, cgroup } = await createCgroup(support, jobCgroupName("cgroup-test", `nolimits-${process.pid}`), { pids: 77, memoryBytes: 1 << 27 });
          expect(applied).toEqual({});
          await cgroup.remove();
        });
      }

      it("sweep(owner) kills and removes what a crashed runner's sandboxes left, and only that owner's", async () => {
        const left = await createCgroup(support, jobCgroupName("crashed", "job_a-1"), {});
        const empty = await createCgroup(support, jobCgroupName("crashed", "job_b-2"), {});
        const stranger = await createCgroup(support, jobCgroupName("crashed-2", "job_c-3"), {});
        const orphan = uniqueSleep();
        const bystander = uniqueSleep();
        markers.push(orphan.marker, bystander.marker);
        startIn(left.cgroup.procsFiles, `setsid sleep ${orphan.seconds} >/dev/null 2>&1 &`);
        startIn(stranger.cgroup.procsFiles, `sleep ${bystander.seconds}`);
        await waitFor("both sleeps to run", async () => (await processesWith(orphan.marker)) === 1 && (await processesWith(bystander.marker)) === 1, 5000);

        expect(await sweepCgroups(support, "crashed")).toEqual(["job_a-1"]);
        expect(await processesWith(orphan.marker)).toBe(0);
        expect(await processesWith(bystander.marker)).toBe(1);
        for (const file of [...left.cgroup.procsFiles, ...empty.cgroup.procsFiles]) expect(existsSync(file)).toBe(false);
        expect(await sweepCgroups(support, "crashed")).toEqual([]);

        await stranger.cgroup.kill();
        await stranger.cgroup.remove();
      });

      it("refuses to run a command it could not place, with a reason", async () => {
        const gone = openCgroup(support, jobCgroupName("cgroup-test", "never-made"));
        const { seconds, marker } = uniqueSleep();
        markers.push(marker);
        const { code, stderr } = await startIn(gone.procsFiles, `sleep ${seconds}`).exited;
        expect(code).toBe(SETUP_FAILED_EXIT_CODE);
        expect(stderr).toMatch(/could not put this command in its cgroup/);
        expect(await processesWith(marker)).toBe(0);
      });
    },
  );
}

describe("cgroup probe", () => {
  let fake: TempDir;
  beforeAll(async () => {
    fake = await tempDir("pushpals-cgroup-probe-");
  });
  afterAll(async () => {
    await fake.remove();
  });

  it("says why nothing is usable on a host without cgroup mounts", async () => {
    await writeFile(join(fake.path, "mountinfo"), "22 1 0:21 / /proc rw,nosuid - proc proc rw\n");
    await writeFile(join(fake.path, "cgroup"), "0::/\n");
    const probe = await probeCgroups({ mountinfo: join(fake.path, "mountinfo"), procCgroup: join(fake.path, "cgroup") });
    expect(probe).toEqual({ usable: false, reason: "no cgroup hierarchy is mounted" });
  });

  it("says which hierarchy it could not write to", async () => {
    const readOnly = join(fake.path, "not-a-cgroupfs");
    await writeFile(readOnly, "");
    await writeFile(join(fake.path, "mountinfo"), `40 31 0:38 / ${readOnly} rw,relatime - cgroup2 cgroup2 rw\n`);
    await writeFile(join(fake.path, "cgroup"), "0::/\n");
    const probe = await probeCgroups({ mountinfo: join(fake.path, "mountinfo"), procCgroup: join(fake.path, "cgroup") });
    expect(probe.usable).toBe(false);
    expect(probe.usable ? "" : probe.reason).toMatch(/^cgroup v2: cannot make cgroups under .*not-a-cgroupfs \(ENOTDIR\)/);
  });
});
