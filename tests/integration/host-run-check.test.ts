import { describe, expect, it } from "vitest";
import { hostRunCheck } from "../../services/integration/checks/host-run-check.js";
import { outputWindow } from "../../shared/text/output-window.js";
import { tempDir } from "../support/tmp.js";

describe("host check runner", () => {
  it("returns exit code, interleaved output and duration", async () => {
    const dir = await tempDir();
    try {
      const run = await hostRunCheck("pwd; echo to-stderr >&2; exit 7", { cwd: dir.path, timeoutMs: 10_000 });
      expect(run.exitCode).toBe(7);
      expect(run.timedOut).toBe(false);
      expect(run.output).toContain(dir.path);
      expect(run.output).toContain("to-stderr");
      expect(run.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      await dir.remove();
    }
  });

  it("keeps tokens and PushPals settings out of the check's environment", async () => {
    const saved = { ...process.env };
    process.env.PUSHPALS_GITHUB_TOKEN = "ghp_secret_value";
    process.env.GITHUB_TOKEN = "ghp_other_secret";
    process.env.SOME_API_KEY = "k";
    process.env.DEPLOY_AUTH = "deploy-auth-value";
    process.env.CACHE_URL = "redis://cache:cache-password@127.0.0.1:6379";
    process.env.HARMLESS_SETTING = "visible";
    try {
      const run = await hostRunCheck("env", { cwd: "/", timeoutMs: 10_000 });
      expect(run.output).toContain("HARMLESS_SETTING=visible");
      expect(run.output).not.toContain("ghp_");
      expect(run.output).not.toContain("SOME_API_KEY");
      // The one rule of what is a secret (shared/secret-environ.ts): auth settings, and URLs with credentials.
      expect(run.output).not.toContain("deploy-auth-value");
      expect(run.output).not.toContain("cache-password");
      expect(run.output).toMatch(/^PATH=/m);
    } finally {
      process.env = saved;
    }
  });

  it("kills at once when the signal aborts, background children included", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const run = await hostRunCheck("sleep 30 & sleep 30", { cwd: "/", timeoutMs: 60_000, signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(run.exitCode).toBe(128 + 9);
    expect(run.timedOut).toBe(false);
  });

  it("keeps the head and the tail of long output and says how much was left out", () => {
    const window = outputWindow(10, 10);
    window.push("0123456789HEAD-OVERFLOW");
    for (let i = 0; i < 100; i++) window.push("middle ");
    window.push("...THE-END!");
    const text = window.text();
    expect(text.startsWith("0123456789\n… ")).toBe(true);
    expect(text.endsWith("THE-END!".padStart(10, "."))).toBe(true);
    expect(text).toMatch(/… \d+ characters omitted …/);
    expect(outputWindow(10, 10).text()).toBe("");
  });
});
