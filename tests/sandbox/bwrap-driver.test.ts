import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BWRAP_WORKDIR, bwrapArgs, scratchLimitArgs, systemEntries } from "../../sandbox/bwrap-args.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../sandbox/bwrap-driver.js";
import type { CgroupProbe } from "../../sandbox/cgroup/probe.js";
import { gitMounts } from "../../sandbox/git-mounts.js";
import type { HostLimits } from "../../sandbox/host-limits.js";
import { describeDriverConformance } from "./conformance.js";
import { describeIfAvailable } from "./environment.js";
import { collect, makeWorkspace, processesWith, uniqueSleep, waitFor, type Workspace } from "./fixtures.js";

const requirement = {
  name: "bubblewrap (bwrap)",
  available: await createBwrapDriver().available(),
  howToGet: INSTALL_BWRAP_HINT,
};

describeDriverConformance("bwrap", requirement, () => createBwrapDriver(), {
  isolated: true,
  hasGit: true,
  tcpProbe: (port) => `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`,
  sequentialExecs: 30,
  workspace: "mounted",
});

describeIfAvailable("bwrap driver", requirement, () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await makeWorkspace();
  });
  afterAll(async () => {
    await workspace.dir.remove();
  });

  it("takes the whole sandbox down when the runner dies (--die-with-parent), so sweep has nothing to find", async () => {
    const { seconds, marker } = uniqueSleep();
    const args = bwrapArgs({
      system: await systemEntries(),
      worktree: workspace.worktree,
      git: await gitMounts(workspace.worktree, BWRAP_WORKDIR),
      env: {},
      cwd: "",
      network: false,
      infoFd: 3,
      command: `sleep ${seconds} & sleep ${seconds}`,
      limits: { tmpMb: 16, rlimits: {} },
    });
    // A stand-in runner: a node process that starts the sandbox as the driver does, then is SIGKILLed.
    const runner = spawn(
      process.execPath,
      [
        "-e",
        `require("node:child_process").spawn("bwrap", JSON.parse(process.argv[1]), { detached: true, stdio: ["ignore", "ignore", "ignore", "pipe"] }); setInterval(() => {}, 1000);`,
        JSON.stringify(args),
      ],
      { stdio: "ignore" },
    );
    await waitFor("the sandboxed sleeps to run", async () => (await processesWith(marker)) === 2, 5000);
    runner.kill("SIGKILL");
    await waitFor("the sandbox to die with its runner", async () => (await processesWith(marker)) === 0, 2000);
    expect(await createBwrapDriver().sweep("anyone")).toBe(0);
  });

  it("shares the host network only when the spec asks for it", async () => {
    const sandbox = await createBwrapDriver().start({ jobId: "job_net", owner: "w", worktree: workspace.worktree, env: {}, network: true });
    const { result } = await collect(sandbox.exec("bash -c 'exec 3<>/dev/tcp/127.0.0.1/5432'"));
    expect(result.exitCode).toBe(0);
    await sandbox.stop();
  });

  it("hides host secrets under /etc that the runner's user could read", async () => {
    const hostShadow = await readFile("/etc/shadow", "utf8").catch(() => "");
    const sandbox = await createBwrapDriver().start({ jobId: "job_etc", owner: "w", worktree: workspace.worktree, env: {} });
    const { stdout, result } = await collect(sandbox.exec("cat /etc/shadow; cat /etc/passwd >/dev/null && echo etc-readable"));
    expect(result.exitCode).toBe(0);
    expect(stdout).toBe("etc-readable\n");
    // The control: as root here the runner itself can read it, so the mask is what hides it.
    if (process.getuid?.() === 0) expect(hostShadow.length).toBeGreaterThan(0);
    await sandbox.stop();
  });

  describe("limits", () => {
    const limits: HostLimits = { pidsLimit: 64, memoryMb: 96, tmpMb: 8, fileSizeMb: 16 };
    /** "Max file size  16777216  16777216  bytes" -> the soft limit. */
    const limit = (table: string, name: string) => new RegExp(`^${name}\\s+(\\S+)`, "m").exec(table)?.[1];

    it("caps /dev/shm like /tmp, and leaves no other RAM-backed place to fill (/dev, the masks over /etc secrets)", async () => {
      const sandbox = await createBwrapDriver({ limits }).start({ jobId: "job_shm", owner: "w", worktree: workspace.worktree, env: {} });
      const shm = await collect(sandbox.exec("dd if=/dev/zero of=/dev/shm/flood bs=1M count=32"));
      expect(shm.result.exitCode).not.toBe(0);
      expect(shm.stderr).toMatch(/No space left on device/);
      const masks = (await systemEntries()).filter((entry) => "mask" in entry && entry.mask === "dir").map((entry) => entry.path);
      for (const path of ["/dev", ...masks]) {
        const { result, stderr } = await collect(sandbox.exec(`echo x > ${path}/flood`));
        expect(result.exitCode, path).not.toBe(0);
        expect(stderr, path).toMatch(/Read-only file system/);
      }
      // Device nodes stay usable on the read-only /dev.
      expect((await collect(sandbox.exec("echo x > /dev/null && head -c 3 /dev/zero | wc -c"))).stdout.trim()).toBe("3");
      await sandbox.stop();
    });

    it("sets the file size and process rlimits inside, and no address space limit where the cgroup counts memory", async () => {
      const sandbox = await createBwrapDriver({ limits }).start({ jobId: "job_rlimits", owner: "w", worktree: workspace.worktree, env: {} });
      const { stdout } = await collect(sandbox.exec("cat /proc/self/limits"));
      expect(limit(stdout, "Max file size")).toBe(String(16 * 1024 * 1024));
      expect(limit(stdout, "Max processes")).toBe("64");
      expect(limit(stdout, "Max address space")).toBe("unlimited");
      await sandbox.stop();
    });

    it("without a cgroup, bounds memory by the address space and says in its log that pids/memory are not enforced by a cgroup", async () => {
      const lines: { level: number; msg: string }[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      });
      const noCgroups: CgroupProbe = { usable: false, reason: "forced by the test" };
      const driver = createBwrapDriver({ limits, cgroups: noCgroups, logger: pino({ level: "info" }, sink) });
      const sandbox = await driver.start({ jobId: "job_nocg", owner: "w", worktree: workspace.worktree, env: {} });
      const { stdout } = await collect(sandbox.exec("cat /proc/self/limits"));
      expect(limit(stdout, "Max address space")).toBe(String(96 * 1024 * 1024));
      const hog = await collect(sandbox.exec("dd if=/dev/zero of=/dev/null bs=300M count=1"));
      expect(hog.result.exitCode).not.toBe(0);
      expect(hog.stderr).toMatch(/memory exhausted|Cannot allocate memory/);
      expect(lines.find((line) => line.msg.startsWith("no usable cgroup on this host"))?.level).toBe(40);
      await sandbox.stop();
    });

    it("puts the size before the tmpfs it sizes", () => {
      const args = scratchLimitArgs([], { tmpMb: 8, rlimits: {} });
      expect(args.slice(0, 8)).toEqual(["--size", String(8 * 1024 * 1024), "--tmpfs", "/tmp", "--size", String(8 * 1024 * 1024), "--tmpfs", "/dev/shm"]);
      expect(scratchLimitArgs([], { tmpMb: 0, rlimits: {} }).slice(0, 4)).toEqual(["--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]);
    });
  });

  it("says what to install when bwrap is missing", async () => {
    const driver = createBwrapDriver({ bwrapPath: "/nonexistent/bwrap" });
    expect(await driver.available()).toBe(false);
    await expect(driver.start({ jobId: "job_x", owner: "w", worktree: workspace.worktree, env: {} })).rejects.toThrow(/apt-get install bubblewrap/);
  });
});
