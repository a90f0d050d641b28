import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoKey } from "../../shared/config/data-dir.js";
import { ConfigError, loadConfig } from "../../shared/config/load.js";
import { packageRoot } from "../../shared/paths.js";
import { tempDir, type TempDir } from "../support/tmp.js";

describe("configuration", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await tempDir("pushpals-config-");
  });
  afterEach(() => dir.remove());

  const write = (name: string, text: string) => writeFile(join(dir.path, name), text);
  const load = (env: Record<string, string> = {}, extra: Parameters<typeof loadConfig>[0] = {}) => loadConfig({ configDir: dir.path, env, cwd: dir.path, ...extra });

  it("has the documented defaults, with the data dir in the XDG state dir, outside the repository", () => {
    const config = loadConfig({ env: { XDG_STATE_HOME: join(dir.path, "state") }, cwd: dir.path });
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 3001, authToken: "" });
    const dataDir = join(dir.path, "state", "pushpals", repoKey(dir.path));
    expect(config.storage).toEqual({ dataDir, workDir: dataDir, databaseUrl: "" });
    expect(config.bus.natsUrl).toBe("");
    expect(config.integration.branch).toBe("main_agents");
  });

  it("the shipped configs/default.toml is valid and matches the schema's defaults", () => {
    const fromFile = loadConfig({ env: {}, cwd: dir.path });
    const bare = loadConfig({ configDir: dir.path, env: {}, cwd: dir.path });
    expect(fromFile).toEqual(bare);
    expect(packageRoot()).toBeTruthy();
  });

  it("layers default → profile → local → environment → flags, each later one winning", async () => {
    await write("default.toml", '[server]\nport = 4000\nhost = "127.0.0.2"\nkeepalive_seconds = 10\n');
    await write("ci.toml", "[server]\nport = 4001\nkeepalive_seconds = 11\n");
    await write("local.toml", "[server]\nport = 4002\n");
    const config = load({ PUSHPALS_PROFILE: "ci", PUSHPALS_PORT: "4003" }, { overrides: { "server.host": "127.0.0.9" } });
    expect(config.profile).toBe("ci");
    expect(config.server.port).toBe(4003);
    expect(config.server.keepaliveSeconds).toBe(11);
    expect(config.server.host).toBe("127.0.0.9");
    expect(load({ PUSHPALS_PROFILE: "ci" }).server.port).toBe(4002);
  });

  it("names the key, the value, where it came from and what is allowed", async () => {
    await write("default.toml", '[runner]\ndriver = "vm"\n');
    const error = (() => {
      try {
        load({ PUSHPALS_PORT: "seventy" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain(`server.port = "seventy" (from environment PUSHPALS_PORT)`);
    expect(error?.message).toContain(`runner.driver = "vm" (from ${join(dir.path, "default.toml")})`);
    expect(error?.message).toMatch(/auto.*process.*bwrap.*docker.*kubernetes/);
  });

  it("[autonomy] is off by default, reads its kinds, commands, cooldowns and gates from TOML, and refuses bad values by key", async () => {
    const defaults = load().autonomy;
    expect(defaults).toMatchObject({ mode: "off", riskThreshold: 0.7, commands: { checks: [], lint: [], outdated: [] } });
    expect(defaults.kinds.failingTest).toEqual({ enabled: true, priority: 90, risk: 0.2 });
    expect(defaults.gates).toMatchObject({ maxRunningJobs: 1, dispatchesPerHour: 2, maxConsecutiveFailures: 3, windows: [] });
    await write(
      "local.toml",
      [
        "[autonomy]",
        'mode = "on"',
        "[autonomy.kinds.todo]",
        "enabled = false",
        "[autonomy.commands]",
        'checks = [{ name = "test", command = "npm test" }]',
        "[autonomy.cooldowns]",
        "failure_seconds = 60",
        "[autonomy.gates]",
        'windows = ["22:00-06:00"]',
        "",
      ].join("\n"),
    );
    const tuned = load({ PUSHPALS_AUTONOMY_INTERVAL_SECONDS: "5" }).autonomy;
    expect(tuned).toMatchObject({ mode: "on", intervalSeconds: 5, kinds: { todo: { enabled: false } }, cooldowns: { failureSeconds: 60 }, gates: { windows: ["22:00-06:00"] } });
    expect(tuned.commands.checks).toEqual([{ name: "test", command: "npm test", timeoutSeconds: 300 }]);
    await write("local.toml", '[autonomy.gates]\nwindows = ["late"]\n');
    expect(() => load()).toThrow(/autonomy\.gates\.windows.*22:00-06:00/);
    expect(() => load({ PUSHPALS_AUTONOMY_MODE: "sometimes" })).toThrow(/autonomy\.mode/);
  });

  it("refuses unknown keys (a typo must not be silently ignored)", async () => {
    await write("local.toml", "[server]\nprot = 1\n");
    expect(() => load()).toThrow(/server\.prot.*unknown key/);
  });

  it("refuses a database URL that is not Postgres, and a bus URL that is not NATS", () => {
    expect(() => load({ PUSHPALS_DATABASE_URL: "mysql://x" })).toThrow(/storage\.databaseUrl/);
    expect(() => load({ PUSHPALS_NATS_URL: "ws://x" })).toThrow(/bus\.natsUrl/);
  });

  it("refuses a profile with no file, and TOML that does not parse", async () => {
    expect(() => load({ PUSHPALS_PROFILE: "nope" })).toThrow(/profile "nope" has no file/);
    await mkdir(dir.path, { recursive: true });
    await write("default.toml", "[server\nport=1");
    expect(() => load()).toThrow(/not valid TOML/);
  });

  it("refuses a host other machines can reach without an auth token, naming where the host came from", () => {
    expect(() => load({ PUSHPALS_HOST: "0.0.0.0" })).toThrow(/server\.host = "0\.0\.0\.0" \(from environment PUSHPALS_HOST\).*PUSHPALS_AUTH_TOKEN/);
    expect(load({ PUSHPALS_HOST: "0.0.0.0", PUSHPALS_AUTH_TOKEN: "s3cret-s3cret-s3cret" }).server.host).toBe("0.0.0.0");
    for (const loopback of ["127.0.0.1", "127.0.0.2", "localhost", "::1"]) expect(load({ PUSHPALS_HOST: loopback }).server.host).toBe(loopback);
  });

  it("refuses an auth token shorter than 16 characters or with white space, naming the setting and what to use", () => {
    expect(() => load({ PUSHPALS_AUTH_TOKEN: "s3cret" })).toThrow(/server\.authToken.*PUSHPALS_AUTH_TOKEN.*is 6 characters long; use at least 16/s);
    expect(() => load({ PUSHPALS_AUTH_TOKEN: "a token with spaces in it" })).toThrow(/server\.authToken.*contains white space/s);
    expect(() => load({ PUSHPALS_AUTH_TOKEN: " ".repeat(20) })).toThrow(/contains white space/);
    expect(load({ PUSHPALS_AUTH_TOKEN: "0123456789abcdef" }).server.authToken).toBe("0123456789abcdef");
    expect(load({ PUSHPALS_OPEN_REFLECTION: "false" }).server.openReflection).toBe(false);
    expect(load().server.openReflection).toBe(true);
  });

  it("per-role model settings fall back to the shared ones only where unset", () => {
    const config = load({ PUSHPALS_LLM_MODEL: "shared", PUSHPALS_PLANNER_LLM_MODEL: "planner-model" });
    expect(config.llm.model).toBe("shared");
    expect(config.llm.planner.model).toBe("planner-model");
    expect(config.llm.agent.model).toBeUndefined();
  });

  describe("names renamed in this release", () => {
    const loadWarned = (env: Record<string, string> = {}, extra: Parameters<typeof loadConfig>[0] = {}) => {
      const warnings: string[] = [];
      const config = load(env, { warn: (message) => warnings.push(message), ...extra });
      return { config, warnings };
    };

    it("reads the shipped configs with no deprecation", () => {
      const warnings: string[] = [];
      loadConfig({ env: {}, cwd: dir.path, warn: (message) => warnings.push(message) });
      expect(warnings).toEqual([]);
    });

    it("reads [supervisor] as [runner], subsections too, and says where to rename it", async () => {
      await write("default.toml", '[supervisor]\ndriver = "process"\nconcurrency = 3\n[supervisor.docker]\nimage = "busybox:old"\n');
      const { config, warnings } = loadWarned();
      expect(config.runner).toMatchObject({ driver: "process", concurrency: 3, docker: { image: "busybox:old" } });
      expect(warnings).toEqual([`config: [supervisor] (from ${join(dir.path, "default.toml")}) is now [runner]; rename the section (the old name is read for one more release)`]);
    });

    it("lets [runner] win key by key where one file has both names, and later layers still win", async () => {
      await write("default.toml", '[runner]\nconcurrency = 5\n[supervisor]\nconcurrency = 7\nworker_id = "old-name"\n');
      await write("local.toml", "[supervisor]\nheartbeat_seconds = 2\n");
      const { config, warnings } = loadWarned({ PUSHPALS_CONCURRENCY: "9" });
      expect(config.runner).toMatchObject({ concurrency: 9, workerId: "old-name", heartbeatSeconds: 2 });
      expect(warnings).toHaveLength(2);
      expect(warnings[1]).toContain(join(dir.path, "local.toml"));
    });

    it('reads flags under the old name and check_driver = "supervisor" as "runner"', async () => {
      await write("default.toml", '[integration]\ncheck_driver = "supervisor"\n');
      const { config, warnings } = loadWarned({}, { overrides: { "supervisor.workerId": "flagged" } });
      expect(config.runner.workerId).toBe("flagged");
      expect(config.integration.checkDriver).toBe("runner");
      expect(warnings).toEqual([
        `config: integration.check_driver = "supervisor" (from ${join(dir.path, "default.toml")}) is now "runner"; change the value (the old one is read for one more release)`,
        "config: [supervisor] (from command line) is now [runner]; rename the section (the old name is read for one more release)",
      ]);
    });

    it("warns through Node's DeprecationWarning when no one listens", async () => {
      await write("default.toml", "[supervisor]\nconcurrency = 4\n");
      const seen = new Promise<Error>((resolve) => process.once("warning", resolve));
      expect(load().runner.concurrency).toBe(4);
      const warning = await seen;
      expect(warning.name).toBe("DeprecationWarning");
      expect(warning.message).toMatch(/^config: \[supervisor\] .* is now \[runner\]/);
    });
  });
});
