import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { isSecretVariable, withoutSecrets } from "../../shared/secret-environ.js";
import { environOf, fakeSecrets, leakedIn } from "../hostile/environ-reading.js";
import { createBwrapDriver } from "../../sandbox/bwrap-driver.js";
import { announcedUrl } from "../support/announced-url.js";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";

// Where bwrap is missing the read-only /proc case is skipped, except in CI (PUSHPALS_CI=1), where it must run and fail.
const bwrapHere = (await createBwrapDriver().available()) || process.env.PUSHPALS_CI === "1";

describe("which variables are secrets", () => {
  it("knows keys, tokens, passwords, credentials and auth settings by name, and URLs carrying credentials by value", () => {
    for (const name of [
      "PUSHPALS_LLM_API_KEY",
      "PUSHPALS_GIT_PUSH_TOKEN",
      "PUSHPALS_AUTH_TOKEN",
      "GITHUB_TOKEN",
      "GH_TOKEN",
      "OPENAI_API_KEY",
      "AWS_SECRET_ACCESS_KEY",
      "PGPASSWORD",
      "NATS_CREDS",
      "SSH_AUTH_SOCK",
      "DOCKER_AUTH_CONFIG",
      "my_credentials_file",
    ]) {
      expect(isSecretVariable(name, "x"), name).toBe(true);
    }
    expect(isSecretVariable("PUSHPALS_DATABASE_URL", "postgres://pushpals:hunter2@db:5432/pushpals")).toBe(true);
    expect(isSecretVariable("PUSHPALS_NATS_URL", "nats://user:pass@127.0.0.1:4222")).toBe(true);
    expect(isSecretVariable("REMOTE", "https://ghp_abc@github.com/o/r.git")).toBe(true);
    for (const [name, value] of [
      ["PATH", "/usr/bin:/bin"],
      ["HOME", "/root"],
      ["PUSHPALS_SANDBOX_DRIVER", "process"],
      ["PUSHPALS_NATS_URL", "nats://127.0.0.1:4222"],
      ["REMOTE", "git@github.com:o/r.git"],
    ] as const) {
      expect(isSecretVariable(name, value), name).toBe(false);
    }
  });

  it("leave an environment without them, everything else kept", () => {
    expect(withoutSecrets({ PATH: "/bin", GITHUB_TOKEN: "t", DB: "postgres://u:p@h/d", LANG: "C", UNSET: undefined })).toEqual({ PATH: "/bin", LANG: "C" });
  });
});

describe("a pushpals process's own /proc environ (the real binary)", () => {
  let dir: TempDir | undefined;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    await dir?.remove();
    child = dir = undefined;
  });

  /** `pushpals serve sessions` (behind `prefix`, e.g. bwrap) with the secrets in its environment; its URL and stderr lines. */
  async function serveSessions(secrets: Record<string, string>, prefix: string[] = []) {
    dir = await tempDir("pushpals-environ-");
    const command = [...prefix, process.execPath, PUSHPALS_BIN, "serve", "sessions", "--port", "0", "--repo", dir.path, "--data-dir", dir.path];
    child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...secrets, PUSHPALS_LOG_LEVEL: "debug" }, stdio: ["pipe", "pipe", "pipe"] });
    const logs: string[] = [];
    createInterface({ input: child.stderr! }).on("line", (line) => logs.push(line));
    const url = await announcedUrl(child, { what: "pushpals serve sessions", timeoutMs: 20_000 }).catch((error: Error) => {
      throw new Error(`${error.message}:\n${logs.join("\n")}`);
    });
    return { url, logs, pid: child.pid! };
  }

  const records = (logs: string[]) => logs.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { level: number; msg: string; variables?: string[] });

  it("has no secret value, says so in one debug line, and still holds the values (the token is enforced)", async () => {
    const secrets = fakeSecrets();
    const { url, logs, pid } = await serveSessions(secrets);
    const environ = await environOf(pid);
    expect(environ).toContain("PUSHPALS_LOG_LEVEL=debug");
    expect(leakedIn(environ, secrets)).toEqual([]);
    // The names stay (blanked), so nothing that lists variables is surprised.
    for (const name of Object.keys(secrets)) expect(environ.split("\0")).toContain(`${name}=`);

    const scrubbed = records(logs).filter((record) => record.msg.includes("/proc environ"));
    expect(scrubbed).toHaveLength(1);
    expect(scrubbed[0]?.level).toBe(20);
    expect(scrubbed[0]?.variables).toEqual(expect.arrayContaining(Object.keys(secrets)));
    expect(leakedIn(logs.join("\n"), secrets)).toEqual([]);

    const unauthenticated = await fetch(`${url}/pushpals.v1.SessionService/CreateSession`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(unauthenticated.status).toBe(401);
    const authenticated = await fetch(`${url}/pushpals.v1.SessionService/CreateSession`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secrets.PUSHPALS_AUTH_TOKEN}` },
      body: "{}",
    });
    expect(authenticated.status).toBe(200);
  });

  it.runIf(bwrapHere)("warns once, naming the variables, where /proc/self/mem cannot be written, and still runs", async () => {
    const secrets = fakeSecrets();
    // A read-only /proc: the process cannot overwrite its own memory through /proc/self/mem.
    const { url, logs } = await serveSessions(secrets, ["bwrap", "--dev-bind", "/", "/", "--ro-bind", "/proc", "/proc", "--"]);
    const warnings = records(logs).filter((record) => record.level === 40 && record.msg.includes("environ"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/process driver.*can read .*PUSHPALS_AUTH_TOKEN.*use the bwrap or docker driver/);
    expect(leakedIn(logs.join("\n"), secrets)).toEqual([]);
    const health = await fetch(`${url}/pushpals.v1.SessionService/CreateSession`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secrets.PUSHPALS_AUTH_TOKEN}` },
      body: "{}",
    });
    expect(health.status).toBe(200);
  });
});
