import { execFile } from "node:child_process";
import { createServer, type Server } from "node:net";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { initRepo } from "../support/git.js";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const run = promisify(execFile);

/** `pushpals up` that cannot start says why in one line and exits at once, instead of restarting in a loop. */
describe("pushpals up refusing to start", () => {
  let dir: TempDir | undefined;
  let blocker: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    await dir?.remove();
    dir = blocker = undefined;
  });

  const up = async (args: string[]) => {
    dir = await tempDir("pushpals-up-refuses-");
    await initRepo(dir.path);
    return run(process.execPath, [PUSHPALS_BIN, "up", ...args], { cwd: dir.path, env: { ...process.env, PUSHPALS_LOG_LEVEL: "warn" }, timeout: 20_000 }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
  };

  it("on a host other machines can reach, without an auth token (exit 2, the setting named)", async () => {
    const { code, stderr } = await up(["--host", "0.0.0.0"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/server\.host = "0\.0\.0\.0" \(from command line\).*PUSHPALS_AUTH_TOKEN/);
  });

  it("on a port that is taken (exit 1, the port and what to do named, nothing else started)", async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker!.listen(0, "127.0.0.1", () => resolve((blocker!.address() as { port: number }).port)));
    const { code, stderr } = await up(["--port", String(port)]);
    expect(code).toBe(1);
    expect(stderr).toContain(`pushpals up: the control plane could not start: port ${port} on 127.0.0.1 is in use`);
    expect(stderr).not.toMatch(/restarting child/);
  });
});
