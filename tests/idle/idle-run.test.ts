import { once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { createClients } from "../../shared/clients.js";
import { initRepo } from "../support/git.js";
import { startPushpals, type PushpalsProcess } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";

/** Ten minutes by default (the acceptance); PUSHPALS_TEST_IDLE_RUN_SECONDS shortens it for a quick local look. */
const IDLE_MS = Number(process.env.PUSHPALS_TEST_IDLE_RUN_SECONDS ?? 600) * 1000;
/** Each claimer asks again every 2 s: some 300 long-poll claims per claimer in ten minutes, each one ending empty. */
const CLAIM_WAIT_SECONDS = "2";

const LEVEL_WARN = 40;

function warningsAndErrors(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    if (!line.startsWith("{")) return false;
    const { level } = JSON.parse(line) as { level?: number };
    return (level ?? 0) >= LEVEL_WARN;
  });
}

describe("an idle pushpals up", () => {
  let dir: TempDir | undefined;
  let pushpals: PushpalsProcess | undefined;
  afterAll(async () => {
    await pushpals?.stop("SIGKILL");
    await dir?.remove();
  });

  it(
    `runs ${IDLE_MS / 1000} s with nothing to do and logs no warning or error (long-poll claims ended deadline_exceeded after 60 s)`,
    async () => {
      dir = await tempDir("pushpals-idle-");
      await initRepo(dir.path, { "README.md": "# idle\n" });
      pushpals = await startPushpals(
        ["up"],
        // No push remote: a fresh repository has none, and integration would say so on every start.
        { PUSHPALS_PORT: "0", PUSHPALS_LOG_LEVEL: "info", PUSHPALS_LLM_MODEL: "", PUSHPALS_GIT_REMOTE: "", PUSHPALS_CLAIM_WAIT_SECONDS: CLAIM_WAIT_SECONDS },
        { cwd: dir.path, timeoutMs: 60_000 },
      );
      const child = pushpals.child;
      // The idle time is what is under test: it is waited out, unless the process dies first.
      const exited = once(child, "exit").then(([code, signal]) => `pushpals up exited (code ${code}, signal ${signal})`);
      const outcome = await Promise.race([exited, delay(IDLE_MS, "idle time over")]);
      expect(outcome, pushpals.logs.join("\n")).toBe("idle time over");
      expect(warningsAndErrors(pushpals.logs)).toEqual([]);
      // Still serving after all that: the runner is registered and integration answers (well-formed asks, logged by nobody).
      const clients = createClients(pushpals.url);
      expect((await clients.execution.listWorkers({})).workers.length).toBeGreaterThan(0);
      await clients.integration.getIntegrationStatus({});
      expect(await pushpals.stop("SIGTERM")).toBe(0);
      expect(warningsAndErrors(pushpals.logs)).toEqual([]);
    },
    IDLE_MS + 120_000,
  );
});
