import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { tempDir, type TempDir } from "../../support/tmp.js";

const NATS_SERVER = process.env.PUSHPALS_TEST_NATS_SERVER ?? "/usr/sbin/nats-server";

/**
 * A nats-server of this test's own, on a free loopback port with a temp store dir,
 * that the test may kill and start again (the shared one on 4222 is never touched).
 */
export interface OwnNatsServer {
  readonly url: string;
  /** Kills the server abruptly, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Kills it and removes its store dir. */
  dispose(): Promise<void>;
}

export interface OwnNatsServerOptions {
  /** More nats-server flags, e.g. ["--user", "u", "--pass", "p"] or ["--auth", token]. */
  args?: string[];
  /** A configuration file's text (e.g. an authorization or operator block), passed with -c. */
  config?: string;
}

export async function ownNatsServer(options: OwnNatsServerOptions = {}): Promise<OwnNatsServer> {
  const port = await freePort();
  const store: TempDir = await tempDir("pushpals-nats-");
  const configArgs: string[] = [];
  if (options.config !== undefined) {
    const file = join(store.path, "nats-server.conf");
    await writeFile(file, options.config);
    configArgs.push("-c", file);
  }
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child) throw new Error("own nats-server already running");
    const args = [...configArgs, "-a", "127.0.0.1", "-p", String(port), "-sd", store.path, ...(options.args ?? [])];
    const started = spawn(NATS_SERVER, args, { stdio: ["ignore", "ignore", "pipe"] });
    child = started;
    let stderr = "";
    started.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => started.once("exit", (code) => resolve(code)));
    for (let waited = 0; waited < 10_000; waited += 50) {
      if (await accepts(port)) return;
      const code = await Promise.race([exited, sleep(50).then(() => "running" as const)]);
      if (code !== "running") {
        child = undefined;
        throw new Error(`${NATS_SERVER} exited (${code}) before listening on ${port}: ${stderr}`);
      }
    }
    await kill();
    throw new Error(`${NATS_SERVER} did not listen on ${port} within 10 s: ${stderr}`);
  }

  async function kill(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    kill,
    start,
    async dispose() {
      await kill();
      await store.remove();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
