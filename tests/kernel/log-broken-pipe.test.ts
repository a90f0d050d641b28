import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../shared/paths.js";

describe("logging into a broken pipe", () => {
  it.each(["json", "pretty"])(
    "does not keep a process from exiting (a mesh child whose parent was killed), %s format",
    async (format) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(packageRoot(), "tests/kernel/fixtures/log-then-exit.ts")], {
        cwd: packageRoot(),
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, PUSHPALS_LOG_LEVEL: "info", PUSHPALS_LOG_FORMAT: format },
      });
      child.stderr!.destroy();
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
      clearTimeout(timer);
      expect({ code, signal }, "the process hung writing its log and was killed").toEqual({ code: 0, signal: null });
    },
    30_000,
  );
});
