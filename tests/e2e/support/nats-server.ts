import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { freePort } from "../../../cli/free-port.js";

const NATS_SERVER = "/usr/sbin/nats-server";

export interface OwnNatsServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL); clients see the connection drop. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/**
 * A nats-server of this test's own on a free loopback port, so it can be stopped and
 * started without touching the shared one on 4222 that other suites use. Core NATS only:
 * PushPals' bus is at-most-once and keeps nothing in NATS.
 */
export async function startOwnNatsServer(): Promise<OwnNatsServer> {
  const port = await freePort("127.0.0.1");
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
    const failed = once(child, "exit").then(([code]) => {
      throw new Error(`nats-server on port ${port} exited with ${code} before it listened; is the port taken?`);
    });
    failed.catch(() => undefined);
    await Promise.race([listening(port, 10_000), failed]);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, "exit");
    running.kill("SIGTERM");
    const timer = setTimeout(() => running.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return { url: `nats://127.0.0.1:${port}`, port, stop, start };
}

async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
