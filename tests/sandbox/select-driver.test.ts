import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { Writable } from "node:stream";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runnerSection } from "../../shared/config/sections/runner.js";
import { newId } from "../../shared/ids.js";
import { createBwrapDriver } from "../../sandbox/bwrap-driver.js";
import { HOST_LIMIT_DEFAULTS } from "../../sandbox/host-limits.js";
import { selectDriver } from "../../sandbox/select-driver.js";
import { tempDir } from "../support/tmp.js";
import { collect, makeWorkspace, type Workspace } from "./fixtures.js";
import { openKubeTarget } from "./kubernetes/kube-target.js";

// Where bwrap is missing this case is skipped, except in CI (PUSHPALS_CI=1), where it must run and fail.
const bwrapHere = (await createBwrapDriver().available()) || process.env.PUSHPALS_CI === "1";

/** A real pino logger whose JSON lines the test reads back. */
function capturingLogger() {
  const lines: { level: number; msg: string; driver?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "info" }, sink), lines };
}

const settings = (driver: string) => runnerSection.parse({ driver });

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(ConnectError);
  return caught as ConnectError;
}

describe("selectDriver", () => {
  it.runIf(bwrapHere)("auto picks bwrap where it can make a sandbox", async () => {
    const { logger } = capturingLogger();
    expect((await selectDriver(settings("auto"), logger)).name).toBe("bwrap");
  });

  it("auto falls back to process with a warning that says there is no isolation and how to get bwrap", async () => {
    const { logger, lines } = capturingLogger();
    const driver = await selectDriver(settings("auto"), logger, { bwrapPath: "/nonexistent/bwrap" });
    expect(driver.name).toBe("process");
    const warning = lines.find((line) => line.level === 40 && line.driver === "process");
    expect(warning?.msg).toMatch(/NO isolation/);
    expect(warning?.msg).toMatch(/apt-get install bubblewrap/);
    expect(warning?.msg).toMatch(/worker jobs run only with runner\.allow_unisolated = true/);
  });

  it("gives the named driver", async () => {
    const { logger } = capturingLogger();
    expect((await selectDriver(settings("process"), logger)).name).toBe("process");
  });

  it("refuses an explicit bwrap that cannot run, saying what to do", async () => {
    const { logger } = capturingLogger();
    const error = await failure(selectDriver(settings("bwrap"), logger, { bwrapPath: "/nonexistent/bwrap" }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(/runner\.driver is "bwrap".*apt-get install bubblewrap.*"process"/);
  });

  it("refuses an explicit docker without an engine, naming where it looked", async () => {
    const { logger } = capturingLogger();
    const error = await failure(selectDriver(settings("docker"), logger, { dockerHost: "unix:///nonexistent/docker.sock" }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(/no container engine answers at unix:\/\/\/nonexistent\/docker\.sock/);
  });

  it("loads the kubernetes driver lazily and returns it when the cluster answers", async () => {
    const fake = await openKubeTarget({}, "fake");
    try {
      const { logger } = capturingLogger();
      expect((await selectDriver(fake.settings(), logger)).name).toBe("kubernetes");
    } finally {
      await fake.close();
    }
  });

  it("refuses kubernetes when no cluster answers, saying what to set", async () => {
    // The same kubeconfig, kept after its API server has gone: the port no longer answers.
    const fake = await openKubeTarget({}, "fake");
    const dir = await tempDir("pushpals-gone-cluster-");
    try {
      const kubeconfig = join(dir.path, "kubeconfig.json");
      await copyFile(fake.kubeconfigPath, kubeconfig);
      const settings = fake.settings({ kubeconfig });
      await fake.close();
      const { logger } = capturingLogger();
      const error = await failure(selectDriver(settings, logger));
      expect(error.code).toBe(Code.FailedPrecondition);
      expect(error.rawMessage).toMatch(/no cluster is reachable; set runner\.kubernetes\.kubeconfig/);
    } finally {
      await fake.close();
      await dir.remove();
    }
  });
});

describe("selectDriver and runner.bwrap's limits", () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await makeWorkspace();
  });
  afterAll(async () => {
    await workspace.dir.remove();
  });

  it("keeps the drivers' own defaults equal to the config's", () => {
    expect(runnerSection.parse({}).bwrap).toEqual(HOST_LIMIT_DEFAULTS);
  });

  // The file size limit is set for both host drivers, with or without a cgroup, so it shows the settings arrived.
  for (const driver of ["process", ...(bwrapHere ? ["bwrap"] : [])]) {
    it(`hands them to the ${driver} driver`, async () => {
      const { logger } = capturingLogger();
      const chosen = await selectDriver(runnerSection.parse({ driver, bwrap: { fileSizeMb: 7 } }), logger);
      const sandbox = await chosen.start({ jobId: newId("job"), owner: "select-limits", worktree: workspace.worktree, env: {} });
      const { stdout } = await collect(sandbox.exec("ulimit -f"));
      await sandbox.stop();
      // Shells count -f in 512-byte blocks.
      expect(stdout.trim()).toBe(String(7 * 2048));
    });
  }
});
