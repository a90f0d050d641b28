import { spawn } from "node:child_process";
import { constants } from "node:os";
import { withoutSecrets } from "../../../shared/secret-environ.js";
import type { CheckRun, CheckRunOptions, RunCheck } from "./run-check.js";
import { outputWindow } from "../../../shared/text/output-window.js";

/** PushPals' own settings are not the code under test's business either. */
const PUSHPALS_SETTING = /^PUSHPALS_/i;

/** How long a killed check gets to close its output before we stop waiting for it. */
const CLOSE_GRACE_MS = 500;

/**
 * Runs `sh -c command` on the host in its own process group, so a timeout or an abort
 * kills everything the check started (npm → node → workers), not just the shell.
 * The command comes from the operator's config; it is the one place a shell is meant.
 */
export const hostRunCheck: RunCheck = (command: string, options: CheckRunOptions): Promise<CheckRun> => {
  const started = performance.now();
  const output = outputWindow();
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], {
      cwd: options.cwd,
      env: checkEnvironment(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let timedOut = false;
    let settled = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = () => killGroup();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) killGroup();

    const onData = (stream: "stdout" | "stderr") => (chunk: string) => {
      output.push(chunk, stream);
      options.onOutput?.(chunk);
    };
    child.stdout.setEncoding("utf8").on("data", onData("stdout"));
    child.stderr.setEncoding("utf8").on("data", onData("stderr"));
    child.once("error", (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      // Whatever the check left running in the background must not outlive it in the worktree.
      killGroup();
      const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
      // A grandchild that left the group may still hold the pipes open; do not wait on it forever.
      const finish = () => {
        if (settled) return;
        settled = true;
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ exitCode, output: output.text(), summary: output.summary(), timedOut, durationMs: Math.round(performance.now() - started) });
      };
      if (child.stdout.readableEnded && child.stderr.readableEnded) return finish();
      const grace = setTimeout(finish, CLOSE_GRACE_MS);
      child.once("close", () => {
        clearTimeout(grace);
        finish();
      });
    });
  });
};

/** This process's environment without secrets (tokens and keys belong to integration, not to the code under test) or PushPals settings. */
function checkEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(withoutSecrets(process.env)).filter(([name]) => !PUSHPALS_SETTING.test(name)));
}
