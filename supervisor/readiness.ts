import { on } from "node:events";
import { connect } from "node:net";
import { sleep } from "../shared/time.js";
import type { OutputLines } from "./output-lines.js";

/** When a child process counts as started: a line of its output matches, or a TCP port accepts connections. */
export type Readiness = { readonly line: RegExp } | { readonly port: number; readonly host?: string };

const PORT_RETRY_MS = 50;

/** true once ready; false if `signal` aborted first (exit, stop or timeout: the caller knows which). */
export async function waitUntilReady(readiness: Readiness, output: OutputLines, signal: AbortSignal): Promise<boolean> {
  if ("line" in readiness) return waitForLine(readiness.line, output, signal);
  return waitForPort(readiness.port, readiness.host ?? "127.0.0.1", signal);
}

async function waitForLine(pattern: RegExp, output: OutputLines, signal: AbortSignal): Promise<boolean> {
  try {
    for await (const [text] of on(output, "line", { signal })) {
      // search() ignores lastIndex, so a /g pattern matches the same way every time.
      if (String(text).search(pattern) !== -1) return true;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  return false;
}

// A port has no notification to wait on; a short retry loop is the usual way (like wait-on, docker healthchecks).
async function waitForPort(port: number, host: string, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    if (await accepts(port, host, signal)) return true;
    await sleep(PORT_RETRY_MS, signal);
  }
  return false;
}

function accepts(port: number, host: string, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host, signal });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
