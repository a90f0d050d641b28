import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isRunning } from "./support.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/tree-main.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

type LogRecord = { msg?: string; pid?: number; [key: string]: unknown };

/** Starts the fixture program (TypeScript through tsx) and follows its JSON log lines. */
function startProgram(...args: string[]) {
  const program = spawn(process.execPath, ["--import", "tsx", FIXTURE, ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(program, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const records: LogRecord[] = [];
  const stderr: string[] = [];
  const wake = new Set<() => void>();
  void (async () => {
    for await (const line of createInterface({ input: program.stdout })) {
      records.push(JSON.parse(line) as LogRecord);
      for (const notify of wake) notify();
    }
  })();
  program.stderr.on("data", (chunk: Buffer) => stderr.push(String(chunk)));

  function logged(msg: string | RegExp, timeoutMs = 15_000): Promise<LogRecord> {
    const find = () => records.find((record) => (typeof msg === "string" ? record.msg === msg : msg.test(record.msg ?? "")));
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (!hit) return;
        done();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        done();
        program.kill("SIGKILL");
        reject(new Error(`no log line ${msg} within ${timeoutMs} ms; got ${JSON.stringify(records)} ${stderr.join("")}`));
      }, timeoutMs);
      const done = () => (clearTimeout(timer), wake.delete(check));
      wake.add(check);
      check();
    });
  }

  return { program, exited, records, logged, messages: () => records.map((record) => record.msg) };
}

describe("runUntilSignal", () => {
  it("stops the tree in reverse order on SIGTERM and exits 0", async () => {
    const { program, exited, logged, messages } = startProgram("clean");
    const started = await logged('started child process "worker"');
    await logged("last serving");

    program.kill("SIGTERM");
    const [code, signal] = await exited;

    expect([code, signal]).toEqual([0, null]);
    const stops = messages().filter((msg) => /^child "\w+" stopped$/.test(msg ?? ""));
    expect(stops).toEqual(['child "last" stopped', 'child "worker" stopped', 'child "first" stopped']);
    expect(messages()).toContain("worker got SIGTERM");
    expect(messages()).toContain('"root" stopped cleanly');
    expect(isRunning(started.pid!)).toBe(false);
  });

  it("exits 1 when the tree fails by itself", async () => {
    const { exited, messages } = startProgram("fail");
    const [code] = await exited;
    expect(code).toBe(1);
    expect(messages()).toContainEqual(expect.stringMatching(/^"root" failed: doomed cannot go on; the log lines above name/));
    expect(messages()).toContain('child "bystander" stopped');
  });

  it("exits 1 when the tree does not stop before the deadline", async () => {
    const { program, exited, logged } = startProgram("stubborn", "300");
    await logged("stubborn serving");
    const signalledAt = performance.now();
    program.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(1);
    expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(299);
    await logged(/^"stubborn" did not stop within 300 ms; exiting anyway/);
  });

  it("exits at once on a second Ctrl-C", async () => {
    const { program, exited, logged } = startProgram("stubborn", "30000");
    await logged("stubborn serving");
    program.kill("SIGINT");
    await logged(/^received SIGINT: stopping "stubborn"/);
    const secondAt = performance.now();
    program.kill("SIGINT");
    const [code] = await exited;
    expect(code).toBe(130);
    expect(performance.now() - secondAt).toBeLessThan(5000);
  });
});
