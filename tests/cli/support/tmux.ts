import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One tmux server on its own socket, so tests never touch a person's tmux or each other's. */
export interface Tmux {
  /** Starts `command` (run by sh) in a detached window of the given size. */
  start(name: string, command: string, options?: { cwd?: string; columns?: number; rows?: number }): Promise<void>;
  sendKeys(name: string, ...keys: string[]): Promise<void>;
  /** The visible screen; `escapes` keeps colour sequences. */
  capture(name: string, options?: { escapes?: boolean }): Promise<string>;
  /** Polls the screen until `pattern` matches it; fails with the screen when it does not in time. */
  waitFor(name: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Kills the server and everything running in it. */
  close(): Promise<void>;
}

export function startTmux(): Tmux {
  const socket = `pushpals-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmux = async (...args: string[]) => (await run("tmux", ["-L", socket, ...args])).stdout;
  const capture: Tmux["capture"] = (name, options = {}) => tmux("capture-pane", "-p", ...(options.escapes ? ["-e"] : []), "-t", name);
  return {
    async start(name, command, options = {}) {
      await tmux("new-session", "-d", "-s", name, "-x", String(options.columns ?? 160), "-y", String(options.rows ?? 40), ...(options.cwd ? ["-c", options.cwd] : []), command);
    },
    async sendKeys(name, ...keys) {
      await tmux("send-keys", "-t", name, ...keys);
    },
    capture,
    async waitFor(name, pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let screen = "";
      while (Date.now() < deadline) {
        screen = await capture(name);
        if (pattern.test(screen)) return screen;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the screen did not show ${pattern} within ${timeoutMs} ms:\n${screen}`);
    },
    async close() {
      const socketPath = (await tmux("display-message", "-p", "#{socket_path}").catch(() => "")).trim();
      await tmux("kill-server").catch(() => undefined);
      // tmux leaves its socket file behind when the server is killed.
      if (socketPath) await rm(socketPath, { force: true });
    },
  };
}

/** Quotes a word for sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
