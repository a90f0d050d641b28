import { execFile } from "node:child_process";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { newId } from "../../shared/ids.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../sandbox/bwrap-driver.js";
import { cgroupSupport } from "../../sandbox/cgroup/probe.js";
import { createDockerDriver } from "../../sandbox/docker-driver.js";
import type { Sandbox, SandboxDriver } from "../../sandbox/driver.js";
import type { HostLimits } from "../../sandbox/host-limits.js";
import { createProcessDriver } from "../../sandbox/process-driver.js";
import { describeIfAvailable, type Requirement } from "../sandbox/environment.js";
import { collect, killProcessesWith, makeWorkspace, processesWith, uniqueSleep, waitFor, type Workspace } from "../sandbox/fixtures.js";
import { tempDir, type TempDir } from "../support/tmp.js";

/**
 * A hostile command against each real driver: processes that try to outlive their command
 * (setsid, a double fork into a new session, a cleared environment), and floods of processes,
 * /tmp, file size and memory, each bounded so that a failure here cannot take the machine down.
 * Every case first proves its attack really ran (the control), then that it was stopped or
 * cleaned up, and that the runner (this process) and the sandbox still work.
 */

const run = promisify(execFile);

/** Small on purpose: the floods hit them fast, and a broken limit still cannot hurt the host. */
const LIMITS: HostLimits = { pidsLimit: 64, memoryMb: 96, tmpMb: 16, fileSizeMb: 32 };
const FLOOD_PROCESSES = 600;

const cgroups = await cgroupSupport();
const cgroupRequirement = (name: string): Requirement => ({
  name: `${name} with a writable cgroup`,
  available: cgroups.usable,
  howToGet: `run the tests as root or in a delegated cgroup (${cgroups.usable ? "" : cgroups.reason})`,
});

let groupsDir: TempDir;
beforeAll(async () => {
  groupsDir = await tempDir("pushpals-hostile-groups-");
});
afterAll(async () => {
  await groupsDir.remove();
});

interface Subject {
  name: string;
  requirement: Requirement;
  make(): SandboxDriver;
  /** Whether /tmp is the sandbox's own size-capped tmpfs. */
  privateTmp: boolean;
  /** Whether files the command writes are capped at LIMITS.fileSizeMb. */
  fileSizeCapped: boolean;
}

const dockerOptions = {
  image: "localhost/pushpals-busybox:latest",
  network: "none",
  cpus: 0.5,
  memoryMb: LIMITS.memoryMb,
  pidsLimit: LIMITS.pidsLimit,
  tmpMb: LIMITS.tmpMb,
};

const subjects: Subject[] = [
  {
    name: "process",
    requirement: cgroupRequirement("the process driver"),
    make: () => createProcessDriver({ groupsDir: groupsDir.path, limits: LIMITS }),
    privateTmp: false,
    fileSizeCapped: true,
  },
  {
    name: "bwrap",
    requirement: {
      name: "bubblewrap (bwrap) with a writable cgroup",
      available: (await createBwrapDriver().available()) && cgroups.usable,
      howToGet: `${INSTALL_BWRAP_HINT}; run the tests as root or in a delegated cgroup`,
    },
    make: () => createBwrapDriver({ limits: LIMITS }),
    privateTmp: true,
    fileSizeCapped: true,
  },
  {
    name: "docker",
    requirement: {
      name: "a container engine with the Docker API (DOCKER_HOST)",
      available: await createDockerDriver(dockerOptions).available(),
      howToGet: 'run eval "$(bash scripts/container-engine.sh)" (podman serving the Docker Engine API) or start Docker',
    },
    make: () => createDockerDriver(dockerOptions),
    privateTmp: true,
    // Not capped yet: the engine refuses a container with Ulimits here (podman, nofile above the hard limit).
    fileSizeCapped: false,
  },
];

/** Each starts a `sleep <seconds>` that tries to outlive the command, with its output detached. */
const escapes: [string, (seconds: number) => string][] = [
  ["setsid", (seconds) => `setsid sh -c 'sleep ${seconds}' >/dev/null 2>&1 </dev/null &`],
  ["a double fork into a new session", (seconds) => `setsid sh -c 'sleep ${seconds} >/dev/null 2>&1 </dev/null &' >/dev/null 2>&1 </dev/null &`],
  ["a cleared environment (env -i)", (seconds) => `env -i setsid sleep ${seconds} >/dev/null 2>&1 </dev/null &`],
];

for (const subject of subjects) {
  describeIfAvailable(`${subject.name} sandbox against hostile processes`, subject.requirement, () => {
    let workspace: Workspace;
    let driver: SandboxDriver;
    let sandbox: Sandbox;
    const markers: string[] = [];
    const sleep = () => {
      const unique = uniqueSleep();
      markers.push(unique.marker);
      return unique;
    };

    beforeAll(async () => {
      workspace = await makeWorkspace();
      driver = subject.make();
      sandbox = await driver.start({ jobId: newId("job"), owner: `hostile-${subject.name}`, worktree: workspace.worktree, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    });

    afterEach(async () => {
      // The safety net: whatever a failing case left is killed here, not left on the machine.
      for (const marker of markers.splice(0)) await killProcessesWith(marker);
    });

    afterAll(async () => {
      await sandbox?.stop();
      await workspace?.dir.remove();
    });

    /** A command that runs `attack`, then waits for the test to create `.go` in the workspace. */
    const untilGo = (attack: string, go: string) => `${attack}
i=0; while [ ! -e ${go} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo ended`;

    it.each(escapes)("kills a process that escapes by %s when its command ends", async (_, escape) => {
      const { seconds, marker } = sleep();
      const go = `.go-${seconds}`;
      const execution = collect(sandbox.exec(untilGo(escape(seconds), go)));
      // The control: the escapee runs while its command does.
      await waitFor("the escaping sleep to run", async () => (await processesWith(marker)) === 1, 10_000);
      await writeFile(join(workspace.worktree, go), "");
      const { stdout, result } = await execution;
      await rm(join(workspace.worktree, go));
      expect(stdout).toBe("ended\n");
      expect(result.exitCode).toBe(0);
      // Gone by the time the command is reported ended, not some time later.
      expect(await processesWith(marker)).toBe(0);
      await expectStillWorking(sandbox);
    });

    it("kills every escapee, and what still runs, at stop()", async () => {
      const other = await driver.start({ jobId: newId("job"), owner: `hostile-${subject.name}`, worktree: workspace.worktree, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
      const started = escapes.map(([, escape]) => ({ ...sleep(), escape }));
      const running = other.exec(`${started.map(({ escape, seconds }) => escape(seconds)).join("\n")}\nwhile :; do sleep 1; done`);
      await waitFor("every escapee to run", async () => (await Promise.all(started.map(({ marker }) => processesWith(marker)))).every((count) => count === 1), 10_000);
      await other.stop();
      expect((await running.result).cancelled).toBe(true);
      for (const { marker } of started) expect(await processesWith(marker)).toBe(0);
    });

    it(`bounds a fork flood of ${FLOOD_PROCESSES} processes by the pids limit (${LIMITS.pidsLimit}), and cleans it up`, async () => {
      const { seconds, marker } = sleep();
      const tally = `.flood-${seconds}`;
      // A shell stops at the first fork that fails; each started sleep first leaves a line.
      const { result } = await collect(
        sandbox.exec(`i=0; while [ $i -lt ${FLOOD_PROCESSES} ]; do sleep ${seconds} >/dev/null 2>&1 & echo $i >> ${tally}; i=$((i+1)); done; echo done`, { timeoutMs: 60_000 }),
      );
      const started = (await readFile(join(workspace.worktree, tally), "utf8").catch(() => "")).split("\n").filter(Boolean).length;
      await rm(join(workspace.worktree, tally), { force: true });
      expect(result.timedOut).toBe(false);
      // The control: the flood really forked; then it hit the limit, far short of its goal.
      expect(started).toBeGreaterThan(LIMITS.pidsLimit / 2);
      expect(started).toBeLessThan(LIMITS.pidsLimit);
      expect(result.exitCode).not.toBe(0);
      expect(await processesWith(marker)).toBe(0);
      await expectStillWorking(sandbox);
    });

    it(`stops a memory hog beyond ${LIMITS.memoryMb} MB (killed or refused its allocation)`, async () => {
      // dd holds one block of bs bytes in memory and fills it from /dev/zero.
      const { result, stderr } = await collect(sandbox.exec(`dd if=/dev/zero of=/dev/null bs=${LIMITS.memoryMb * 3}M count=1`, { timeoutMs: 60_000 }));
      expect(result.timedOut).toBe(false);
      expect(result.exitCode, stderr).not.toBe(0);
      // The control: the same program with a block inside the limit works.
      const small = await collect(sandbox.exec(`dd if=/dev/zero of=/dev/null bs=${Math.floor(LIMITS.memoryMb / 4)}M count=1`));
      expect(small.result.exitCode, small.stderr).toBe(0);
      await expectStillWorking(sandbox);
    });

    if (subject.privateTmp) {
      it(`fails a disk flood of /tmp beyond ${LIMITS.tmpMb} MB with ENOSPC`, async () => {
        const { result, stderr } = await collect(
          sandbox.exec(`dd if=/dev/zero of=/tmp/flood bs=1M count=${LIMITS.tmpMb * 4}; code=$?; rm -f /tmp/flood; exit $code`, { timeoutMs: 60_000 }),
        );
        expect(result.exitCode).not.toBe(0);
        expect(stderr).toMatch(/No space left on device/i);
        // The control: a file within the limit fits.
        const small = await collect(sandbox.exec(`dd if=/dev/zero of=/tmp/fits bs=1M count=${LIMITS.tmpMb / 4} && rm /tmp/fits`));
        expect(small.result.exitCode, small.stderr).toBe(0);
        await expectStillWorking(sandbox);
      });
    }

    if (subject.fileSizeCapped) {
      it(`stops a file in the worktree at ${LIMITS.fileSizeMb} MB`, async () => {
        const file = join(workspace.worktree, "big.bin");
        const { result } = await collect(sandbox.exec(`dd if=/dev/zero of=big.bin bs=1M count=${LIMITS.fileSizeMb * 2}`, { timeoutMs: 60_000 }));
        const size = (await stat(file).catch(() => undefined))?.size ?? 0;
        await rm(file, { force: true });
        expect(result.exitCode).not.toBe(0);
        expect(size).toBeLessThanOrEqual(LIMITS.fileSizeMb * 1024 * 1024);
        await expectStillWorking(sandbox);
      });
    }
  });
}

/** The runner can still start processes, and the sandbox still runs commands. */
async function expectStillWorking(sandbox: Sandbox): Promise<void> {
  await expect(run("/bin/true")).resolves.toBeDefined();
  const { stdout, result } = await collect(sandbox.exec("echo alive"));
  expect(stdout).toBe("alive\n");
  expect(result.exitCode).toBe(0);
}
