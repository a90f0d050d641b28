import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createClients } from "../../shared/clients.js";
import { waitFor } from "../sandbox/fixtures.js";
import { initRepo } from "../support/git.js";
import { startPushpals, type PushpalsProcess } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";

/** The runner's "cannot start" lines, as JSON records. */
const runnerRefusals = (logs: readonly string[]) => logs.filter((line) => line.startsWith("{") && line.includes('"service":"runner"') && line.includes("the runner cannot start"));

describe("pushpals up with the docker driver and no container engine", () => {
  let dir: TempDir | undefined;
  let pushpals: PushpalsProcess | undefined;
  afterEach(async () => {
    await pushpals?.stop("SIGKILL");
    await dir?.remove();
    pushpals = dir = undefined;
  });

  it("does not announce itself up: the banner names the engine it cannot reach and the fix, and the runner waits for it instead of restart-looping", async () => {
    dir = await tempDir("pushpals-no-engine-");
    await initRepo(dir.path, { "README.md": "# no engine\n" });
    // A socket path with nothing behind it: what DOCKER_HOST says when Docker is not running.
    const dockerHost = `unix://${join(dir.path, "nothing-listens.sock")}`;
    pushpals = await startPushpals(
      ["up"],
      { PUSHPALS_PORT: "0", PUSHPALS_LOG_LEVEL: "info", PUSHPALS_LLM_MODEL: "", PUSHPALS_GIT_REMOTE: "", PUSHPALS_SANDBOX_DRIVER: "docker", DOCKER_HOST: dockerHost },
      { cwd: dir.path, timeoutMs: 30_000 },
    );
    const banner = pushpals.output.join("\n");
    expect(banner).not.toContain("pushpals is up");
    expect(banner).toContain("NOT READY: jobs cannot run until the docker sandbox works");
    expect(banner).toMatch(new RegExp(`sandbox\\s+docker, NOT READY: .*no container engine answers at ${dockerHost.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}; start Docker`));

    // Two refusals a backoff apart, both from one runner that was never restarted.
    await waitFor("the runner to retry finding the engine", () => runnerRefusals(pushpals!.logs).length >= 2, 20_000);
    expect(pushpals.logs.filter((line) => line.includes('restarting child \\"runner\\"') || line.includes('restarting child "runner"'))).toEqual([]);
    const [first] = runnerRefusals(pushpals.logs).map((line) => JSON.parse(line) as { level: number; msg: string; retryInMs: number });
    expect(first!.level).toBe(50);
    expect(first!.msg).toContain("set DOCKER_HOST, or choose another runner.driver");
    // Readiness tells the truth: no runner is registered, so nobody claims jobs it cannot run.
    expect((await createClients(pushpals.url).execution.listWorkers({})).workers).toEqual([]);
  }, 60_000);
});
