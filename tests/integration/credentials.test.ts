import { existsSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIntegrator } from "../../services/integration/index.js";
import { git } from "../support/git.js";
import { expectKind } from "./support/outcome.js";
import { startGitHttpServer, type GitHttpServer } from "./support/git-http-server.js";
import { createScene, type Scene } from "./support/scene.js";

const TOKEN = "tok_push_secret_0123456789abcdef";

describe("push credentials", () => {
  let scene: Scene;
  let server: GitHttpServer;

  beforeEach(async () => {
    scene = await createScene();
    server = await startGitHttpServer(scene.root, "x-access-token", TOKEN);
    await git(scene.repo, "remote", "set-url", "origin", `${server.url}/remote.git`);
    // A credential helper that would write any password it sees to disk.
    await git(scene.repo, "config", "credential.helper", `store --file=${join(scene.root, "stored-credentials")}`);
  });
  afterEach(async () => {
    await server.close();
    await scene.remove();
  });

  it("pushes over authenticated HTTP with the token in no command line, no log line and no credential store", async () => {
    const lines: string[] = [];
    const log = pino({ level: "debug" }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
    const integrator = await openIntegrator({ settings: scene.settings({ push: { username: "x-access-token", token: TOKEN } }), log });
    try {
      const job = await scene.job({ "a.txt": "a\n" });
      const merged = expectKind(await integrator.integrate(job), "merged");
      expect(merged.result.pushed).toBe(true);
      expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);
    } finally {
      await integrator.close();
    }
    const expected = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`;
    expect(server.authorizations.filter((a) => a === expected).length).toBeGreaterThanOrEqual(3); // ls-remote, fetch, push
    expect(server.leaks).toEqual([]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("")).not.toContain(TOKEN);
    expect(lines.join("")).toContain('"stage":"push"');
    expect(existsSync(join(scene.root, "stored-credentials"))).toBe(false);
  });

  it("a wrong token fails as a retryable Unavailable that names what to check, without the token", async () => {
    const wrong = "tok_wrong_secret_fedcba9876543210";
    const integrator = await openIntegrator({ settings: scene.settings({ push: { username: "x-access-token", token: wrong } }) });
    try {
      const failed = expectKind(await integrator.integrate(await scene.job({ "a.txt": "a\n" })), "error");
      expect(failed.retryable).toBe(true);
      expect(failed.error.rawMessage).toMatch(/could not list the refs of remote origin: .*check the remote is reachable and its credentials/);
      expect(failed.error.rawMessage).not.toContain(wrong);
    } finally {
      await integrator.close();
    }
    expect(server.leaks).toEqual([]);
  });
});
