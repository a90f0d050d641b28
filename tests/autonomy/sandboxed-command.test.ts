import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createBwrapDriver } from "../../sandbox/bwrap-driver.js";
import type { CollectContext } from "../../services/planner/autonomy/collectors/collector.js";
import { failingTests } from "../../services/planner/autonomy/collectors/failing-tests.js";
import { outdatedDeps } from "../../services/planner/autonomy/collectors/outdated-deps.js";
import { sandboxedRepoCommands } from "../../services/planner/autonomy/sandboxed-command.js";
import type { Clients } from "../../shared/clients.js";
import { loadConfig } from "../../shared/config/load.js";
import { allowedEnvironment } from "../../shared/secret-environ.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { loopbackProbe, type LoopbackProbe } from "../support/loopback-probe.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const bwrapAvailable = await createBwrapDriver().available();

/**
 * Autonomy's collector commands run repository code (the base branch's tests, its lint, npm
 * outdated): in a sandbox of the runner's driver, like integration's checks — here bwrap. A
 * check may neither write outside its tree nor reach the network; only `outdated` (it asks a
 * registry) gets network, and none of them sees the planner's secrets.
 */
describeIfAvailable(
  "autonomy's collector commands in a bwrap sandbox",
  { name: "bwrap", available: bwrapAvailable, howToGet: "install bubblewrap (apt-get install bubblewrap)" },
  () => {
    let dir: TempDir;
    let tree: string;
    let outside: string;
    let loopback: LoopbackProbe;

    beforeAll(async () => {
      loopback = await loopbackProbe();
      dir = await tempDir("pushpals-autonomy-sandbox-");
      tree = join(dir.path, "base");
      outside = join(dir.path, "outside");
      await mkdir(tree);
      await mkdir(outside);
      await writeFile(join(tree, "test.js"), "process.exit(1);\n");
      process.env.PUSHPALS_TEST_PLANNER_TOKEN = "ghp_planner_secret_0123456789";
    });
    afterAll(async () => {
      delete process.env.PUSHPALS_TEST_PLANNER_TOKEN;
      await loopback.close();
      await dir.remove();
    });

    // bash for /dev/tcp (sandboxes run commands under sh, which has none).
    const probe = () => loopback.command;
    const context = (commands: Record<string, unknown>): CollectContext => ({
      clients: {} as Clients,
      config: loadConfig({ env: {}, overrides: { "autonomy.commands.checks": [], "autonomy.commands.outdated": [], ...commands } }).autonomy,
      repoPath: dir.path,
      baseBranch: "main",
      baseTree: async () => tree,
      runCommand: sandboxedRepoCommands(async () => createBwrapDriver(), "autonomy-test", allowedEnvironment(["PATH", "HOME", "PUSHPALS_TEST_PLANNER_TOKEN"])),
      signal: new AbortController().signal,
    });

    it("a failing check is found from inside the sandbox: no write outside its tree, no network, no secrets", async () => {
      const escape = join(outside, "escaped");
      const command = `echo "token=[$PUSHPALS_TEST_PLANNER_TOKEN]"; ${probe()}; echo x > ${escape}; node test.js`;
      const found = await failingTests.collect(context({ "autonomy.commands.checks": [{ name: "test", command }] }));
      expect(found.map((c) => c.key)).toEqual(["failing_test:test"]);
      const evidence = found[0]!.evidence;
      expect(evidence).toContain("token=[]");
      expect(evidence).toContain("network-unreachable");
      expect(evidence).not.toContain("network-reachable\n");
      expect(existsSync(escape)).toBe(false);
    });

    it("the probe is real: on the host the same write and connection succeed", async () => {
      const escape = join(outside, "host-write");
      const run = spawnSync("bash", ["-c", `${probe()}; echo x > ${escape}`], { cwd: tree, encoding: "utf8", timeout: 10_000 });
      expect(run.stdout + run.stderr).toContain("network-reachable");
      expect(existsSync(escape)).toBe(true);
    });

    it("only the outdated command's sandbox has network (it asks a registry)", async () => {
      const command = `${probe()} >&2; echo '{"left-pad":{"current":"1.0.0","latest":"1.3.0"}}'`;
      const seen: string[] = [];
      const base = context({ "autonomy.commands.outdated": [{ name: "npm", command }] });
      const found = await outdatedDeps.collect({
        ...base,
        runCommand: async (c, options) => {
          const run = await base.runCommand(c, options);
          seen.push(run.output);
          return { ...run, output: run.output.replace(/network-\w+\n?/, "") };
        },
      });
      expect(found.map((c) => c.key)).toEqual(["outdated:left-pad"]);
      expect(seen.join("")).toContain("network-reachable");
    });
  },
);
