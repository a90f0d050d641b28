import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BWRAP_WORKDIR, bwrapArgs, systemEntries } from "../../supervisor/sandbox/bwrap-args.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../supervisor/sandbox/bwrap-driver.js";
import { gitMounts } from "../../supervisor/sandbox/git-mounts.js";
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
    });
    // A stand-in runner: a node process that starts the sandbox as the driver does, then is SIGKILLed.
    const runner = spawn(
      process.execPath,
      ["-e", `require("node:child_process").spawn("bwrap", JSON.parse(process.argv[1]), { detached: true, stdio: ["ignore", "ignore", "ignore", "pipe"] }); setInterval(() => {}, 1000);`, JSON.stringify(args)],
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

  it("says what to install when bwrap is missing", async () => {
    const driver = createBwrapDriver({ bwrapPath: "/nonexistent/bwrap" });
    expect(await driver.available()).toBe(false);
    await expect(driver.start({ jobId: "job_x", owner: "w", worktree: workspace.worktree, env: {} })).rejects.toThrow(/apt-get install bubblewrap/);
  });
});
