import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { freePort } from "../../cli/free-port.js";
import { initRepo } from "../support/git.js";
import { ADMIN_URL } from "../support/postgres.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { startCli } from "./support/run-cli.js";

const NATS_URL = process.env.PUSHPALS_TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** What the shell running the tests could hold that would change the verdict; empty means unset for these. */
const CLEARED = ["PUSHPALS_LLM_BASE_URL", "PUSHPALS_LLM_MODEL", "PUSHPALS_LLM_API_KEY", "PUSHPALS_DATABASE_URL", "PUSHPALS_NATS_URL"];
const cleared = Object.fromEntries(CLEARED.map((name) => [name, ""]));

/** The probe lines: "✓ git  …", keyed by probe name. */
function probeLines(stdout: string): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const match = /^([✓✗!-]) (\S+(?: \(\w+\)| engine)?)\s+(.*)$/.exec(line);
    if (match) lines.set(match[2]!, `${match[1]} ${match[3]}`);
  }
  return lines;
}

describe("pushpals doctor", () => {
  let model: ScriptedModelServer;
  let repo: TempDir;
  let notARepo: TempDir;

  beforeAll(async () => {
    model = await startScriptedModelServer({ script: [{ content: "OK" }, { content: "OK" }] });
    repo = await tempDir("pushpals-doctor-repo-");
    await initRepo(repo.path);
    notARepo = await tempDir("pushpals-doctor-plain-");
  });
  afterAll(async () => {
    await model?.close();
    await repo?.remove();
    await notARepo?.remove();
  });

  it("on a healthy setup: every probe passes, the model got one tiny request per role, exit 0", async () => {
    const run = startCli(["doctor"], {
      cwd: repo.path,
      env: {
        ...cleared,
        PUSHPALS_LLM_BASE_URL: model.url,
        PUSHPALS_LLM_MODEL: "scripted",
        PUSHPALS_SANDBOX_DRIVER: "process",
        PUSHPALS_ALLOW_UNISOLATED: "true",
        PUSHPALS_DATABASE_URL: ADMIN_URL,
        PUSHPALS_NATS_URL: NATS_URL,
        DOCKER_HOST: "unix:///nonexistent/pushpals-doctor.sock",
      },
    });
    const { code, stdout } = await run.exited;
    const lines = probeLines(stdout);
    expect(code, stdout).toBe(0);
    expect(lines.get("config")).toMatch(/^✓ profile default/);
    expect(lines.get("git")).toMatch(/^✓ git \d+\.\d+.*on base branch main$/);
    expect(lines.get("model (planner)")).toMatch(new RegExp(`^✓ ${model.url.replace(/[.]/g, "\\.")} \\(planner role, model scripted\\) answered in \\d+ ms$`));
    expect(lines.get("model (agent)")).toMatch(/^✓ .*\(agent role, model scripted\) answered/);
    expect(lines.get("sandbox")).toMatch(/^! process driver, NO isolation/);
    expect(lines.get("postgres")).toMatch(/^✓ .*: database test on PostgreSQL \d+/);
    expect(lines.get("nats")).toMatch(/^✓ connected to nats:\/\//);
    // Not needed by the process driver: shown, not counted as broken.
    expect(lines.get("container engine")).toMatch(/^- nothing answers at unix:\/\/\/nonexistent/);
    expect(stdout).toMatch(/nothing is broken$/m);
    const asked = model.requests().filter((request) => request.path.endsWith("/chat/completions"));
    expect(asked).toHaveLength(2);
    expect(asked.map((request) => request.body as { max_tokens?: number; max_completion_tokens?: number })).toEqual([
      expect.objectContaining({ model: "scripted" }),
      expect.objectContaining({ model: "scripted" }),
    ]);
  }, 60_000);

  it("on a broken setup: one ✗ line per broken part, each with its fix, exit 1", async () => {
    const missingDatabase = ADMIN_URL.replace(/\/[^/]*$/, `/pushpals_doctor_missing_${process.pid}`);
    const run = startCli(["doctor"], {
      cwd: notARepo.path,
      env: {
        ...cleared,
        PUSHPALS_SANDBOX_DRIVER: "docker",
        PUSHPALS_DATABASE_URL: missingDatabase,
        PUSHPALS_NATS_URL: `nats://127.0.0.1:${await freePort()}`,
        DOCKER_HOST: "unix:///nonexistent/pushpals-doctor.sock",
      },
    });
    const { code, stdout } = await run.exited;
    const lines = probeLines(stdout);
    expect(code, stdout).toBe(1);
    expect(lines.get("git")).toMatch(/^✗ .* is not a git repository — fix: .*git init/);
    expect(lines.get("model (planner)")).toMatch(/^✗ no model configured for the planner role — fix: set PUSHPALS_PLANNER_LLM_MODEL or PUSHPALS_LLM_MODEL/);
    expect(lines.get("model (agent)")).toMatch(/^✗ no model configured for the agent role/);
    expect(lines.get("sandbox")).toMatch(/^✗ runner\.driver is "docker" but no container engine answers .* — fix: start Docker/);
    expect(lines.get("postgres")).toMatch(/^✗ .*does not exist — fix: create it: createdb pushpals_doctor_missing_\d+/);
    expect(lines.get("nats")).toMatch(/^✗ could not reach NATS at nats:\/\/127\.0\.0\.1:\d+.* — fix: start nats-server there/);
    expect(lines.get("container engine")).toMatch(/^✗ nothing answers at unix:\/\/\/nonexistent\/pushpals-doctor\.sock — fix: start Docker/);
    expect(stdout).toMatch(/^7 broken: fix the ✗ lines above/m);
  }, 60_000);

  it("a config it cannot load is one broken line naming the key", async () => {
    const { code, stdout } = await startCli(["doctor"], { cwd: repo.path, env: { ...cleared, PUSHPALS_PORT: "not-a-port" } }).exited;
    expect(code).toBe(1);
    expect(stdout).toMatch(/^✗ config\s+config: invalid configuration - server\.port = "not-a-port" \(from environment PUSHPALS_PORT\)/m);
  });
});
