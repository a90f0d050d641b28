import { createServer, connect } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../shared/log.js";
import { ChildProcessFailed, ChildProcessService } from "../../../supervisor/child-process-service.js";
import { Supervisor } from "../../../supervisor/supervisor.js";
import { captureLogger, eventually, is, isRunning, recordEvents } from "./support.js";

const WORKER = fileURLToPath(new URL("./fixtures/worker.mjs", import.meta.url));

function worker(flags: string[], options: Partial<ConstructorParameters<typeof ChildProcessService>[0]> = {}) {
  return new ChildProcessService({
    name: "worker",
    command: process.execPath,
    args: [WORKER, ...flags],
    logger: silentLogger,
    readiness: { line: /^worker ready$/ },
    readyTimeoutMs: 10_000,
    killAfterMs: 2000,
    ...options,
  });
}

/** Serves `service` outside any supervisor; `ready` resolves with its pid once it reports readiness. */
function serveAlone(service: ChildProcessService) {
  const stop = new AbortController();
  let markReady!: (pid: number) => void;
  const ready = new Promise<number>((resolve) => (markReady = resolve));
  const serving = service.serve(stop.signal, () => markReady(service.pid!));
  return { stop, ready, serving };
}

describe("ChildProcessService under a supervisor", () => {
  it("restarts a child process killed with SIGKILL from outside", async () => {
    const service = worker([]);
    const root = new Supervisor({ name: "root", logger: silentLogger, backoff: { initialMs: 20, maxMs: 200, jitter: 0 } });
    root.add(service, { restart: "permanent", stopTimeoutMs: 5000 });
    const events = recordEvents(root.events);
    const stop = new AbortController();
    const serving = root.serve(stop.signal);

    await events.waitFor(is("started", "worker"));
    const firstPid = service.pid!;
    expect(isRunning(firstPid)).toBe(true);
    process.kill(firstPid, "SIGKILL");

    const [failed] = await events.waitFor(is("failed", "worker"));
    expect(failed!.error).toContain(`(pid ${firstPid}) was killed by SIGKILL`);
    await events.waitFor(is("started", "worker"), 2);
    const secondPid = service.pid!;
    expect(secondPid).not.toBe(firstPid);
    expect(isRunning(secondPid)).toBe(true);

    stop.abort();
    await serving;
    expect(isRunning(secondPid)).toBe(false);
    expect(root.events.recent().map((event) => event.kind)).toEqual(["started", "failed", "restarting", "started", "stopped"]);
    events.stop();
  });
});

describe("ChildProcessService", () => {
  it("stops its whole process group with SIGTERM and logs the child's lines (JSON passed through as-is)", async () => {
    const { logger, lines, records } = captureLogger();
    const service = worker(["--grandchild"], { logger });
    const { stop, ready, serving } = serveAlone(service);
    const pid = await ready;
    const grandchildLine = records().find((record) => String(record.msg).startsWith("grandchild="));
    const grandchild = Number(String(grandchildLine?.msg).slice("grandchild=".length));
    expect(isRunning(grandchild)).toBe(true);

    stop.abort();
    await serving;

    expect(isRunning(pid)).toBe(false);
    await eventually(() => !isRunning(grandchild), "the grandchild is gone too");
    // The child's own pino record arrives byte-for-byte, not wrapped in another record.
    const passedThrough = lines.find((line) => line.includes('"msg":"worker up"'));
    expect(JSON.parse(passedThrough!)).toEqual({ level: 30, time: expect.any(Number), pid, msg: "worker up" });
    const wrapped = records();
    expect(wrapped).toContainEqual(expect.objectContaining({ level: 30, child: "worker", stream: "stdout", msg: "plain line on stdout" }));
    expect(wrapped).toContainEqual(expect.objectContaining({ level: 40, child: "worker", stream: "stderr", msg: "plain line on stderr" }));
    expect(wrapped).toContainEqual(expect.objectContaining({ child: "worker", msg: "worker got SIGTERM" }));
    expect(wrapped.at(-1)).toMatchObject({ msg: 'child process "worker" stopped', pid, signal: null, code: 0 });
  });

  it("stops a child aborted while it was still being spawned", async () => {
    const service = worker([]);
    const stop = new AbortController();
    const serving = service.serve(stop.signal);
    stop.abort();
    const pid = await new Promise<number | undefined>((resolve) => setImmediate(() => resolve(service.pid)));
    await serving;
    expect(service.pid).toBeUndefined();
    if (pid !== undefined) expect(isRunning(pid)).toBe(false);
  });

  it("sends SIGKILL when the child ignores SIGTERM for killAfterMs", async () => {
    const { logger, records } = captureLogger();
    const service = worker(["--ignore-term"], { logger, killAfterMs: 150 });
    const { stop, ready, serving } = serveAlone(service);
    const pid = await ready;
    const stopAt = performance.now();
    stop.abort();
    await serving;
    const tookMs = performance.now() - stopAt;
    expect(tookMs).toBeGreaterThanOrEqual(149);
    expect(tookMs).toBeLessThan(3000);
    expect(isRunning(pid)).toBe(false);
    expect(records()).toContainEqual(expect.objectContaining({ level: 40, stream: "stderr", msg: "worker ignoring SIGTERM" }));
    expect(records()).toContainEqual(expect.objectContaining({ level: 40, msg: '"worker" ignored SIGTERM for 150 ms; sending SIGKILL' }));
    expect(records().at(-1)).toMatchObject({ msg: 'child process "worker" stopped', signal: "SIGKILL" });
  });

  it("fails with the exit code and the last stderr lines when the process exits non-zero", async () => {
    const failure = await worker(["--exit=3"])
      .serve(new AbortController().signal)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChildProcessFailed);
    expect(failure).toMatchObject({ code: 3, signal: null, child: "worker" });
    expect((failure as Error).message).toMatch(/exited with code 3; its last stderr lines: plain line on stderr \| worker exiting with 3/);
  });

  it("resolves when the process exits with code 0 by itself", async () => {
    await expect(worker(["--exit=0"]).serve(new AbortController().signal)).resolves.toBeUndefined();
  });

  it("counts as started only once its port accepts connections", async () => {
    const port = await freePort();
    const service = worker(["--ready-after=100", `--port=${port}`], { readiness: { port } });
    const { stop, ready, serving } = serveAlone(service);
    await ready;
    await expect(accepts(port)).resolves.toBe(true);
    stop.abort();
    await serving;
  });

  it("fails, and leaves no process behind, when it is not ready in time", async () => {
    const service = worker(["--ready-after=5000"], { readyTimeoutMs: 200 });
    const stop = new AbortController();
    let readyCalled = false;
    let pid = 0;
    const serving = service.serve(stop.signal, () => (readyCalled = true));
    await eventually(() => (pid = service.pid ?? 0) > 0, "the worker is spawned");
    const failure = await serving.catch((error: unknown) => error);
    expect(readyCalled).toBe(false);
    expect((failure as Error).message).toMatch(/"worker" was not ready within 200 ms \(waited for a line matching \/\^worker ready\$\/\) and was stopped/);
    expect(isRunning(pid)).toBe(false);
  });

  it("says what to check when the command cannot be started", async () => {
    const missing = new ChildProcessService({ name: "ghost", command: "/nonexistent/pushpals-ghost", logger: silentLogger });
    await expect(missing.serve(new AbortController().signal)).rejects.toThrow(
      /could not start child process "ghost" \(\/nonexistent\/pushpals-ghost\): spawn \/nonexistent\/pushpals-ghost ENOENT; check the command/,
    );
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
