import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir, type TempDir } from "../support/tmp.js";

const BRIDGE = fileURLToPath(new URL("../../services/runner/agent/model-bridge.mjs", import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bridge as the command backend does: `node model-bridge.mjs <socket> <command...>`. */
function bridge(socket: string, ...command: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BRIDGE, socket, ...command], { timeout: 20_000 }, (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
  });
}

let dir: TempDir | undefined;
afterEach(async () => {
  await dir?.remove();
  dir = undefined;
});

describe("model-bridge.mjs", () => {
  it("runs the command once it listens, with OPENAI_BASE_URL on its loopback port piped to the socket", async () => {
    dir = await tempDir("pp-bridge-");
    const socket = join(dir.path, "model.sock");
    const server = createServer((req, res) => res.end(`the socket answered ${req.method} ${req.url}`));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const fetchModels = "fetch(process.env.OPENAI_BASE_URL + '/models').then((r) => r.text()).then((t) => console.log(process.env.OPENAI_BASE_URL, t))";
      const ran = await bridge(socket, process.execPath, "-e", fetchModels);
      expect(ran.stderr).toBe("");
      expect(ran.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1 the socket answered GET \/v1\/models\n$/);
      expect(ran.code).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("exits with the command's exit code, or 128 + its signal", async () => {
    dir = await tempDir("pp-bridge-");
    const socket = join(dir.path, "model.sock");
    const server = createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      expect((await bridge(socket, "/bin/sh", "-c", "exit 7")).code).toBe(7);
      expect((await bridge(socket, "/bin/sh", "-c", "kill -KILL $$")).code).toBe(137);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses to start the command when the socket is not there, saying why", async () => {
    const ran = await bridge("/nonexistent/model.sock", "/bin/sh", "-c", "echo ran");
    expect(ran.code).toBe(125);
    expect(ran.stdout).toBe("");
    expect(ran.stderr).toBe("pushpals model bridge: /nonexistent/model.sock is not a socket: the runner's model proxy for this job is not running (the job may have ended)\n");
  });
});
