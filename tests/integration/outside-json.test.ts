import { Code, ConnectError } from "@connectrpc/connect";
import { createServer, type Server } from "node:http";
import { writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { githubPullRequests } from "../../services/integration/pull-requests/github.js";
import { acquireWorktreeLock } from "../../services/integration/worktree-lock.js";
import { createEngineClient, EngineError } from "../../sandbox/docker/engine-client.js";
import { createdObject } from "../../sandbox/docker/engine-answers.js";
import { tempDir } from "../support/tmp.js";

/** An HTTP server that answers every request from a table of path → JSON body, recording the paths asked. */
async function serveJson(answers: Record<string, unknown>): Promise<{ url: string; asked: string[]; server: Server }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    asked.push(`${req.method} ${path}`);
    req.resume();
    const body = answers[path];
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" }).end(JSON.stringify(body ?? { message: "no such path" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, server };
}

/** JSON from outside PushPals is checked at the line it comes in, and a wrong shape says which field and what to do. */
describe("outside JSON", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it("a GitHub answer of another shape is Unavailable naming the field, not a PR with an undefined URL", async () => {
    const github = await serveJson({ "/repos/acme/widgets/pulls": [{ number: "7", title: "x", body: null }] });
    servers.push(github.server);
    const provider = githubPullRequests({ apiUrl: github.url, repository: "acme/widgets", token: async () => "t" });
    const error = await provider.upsert({ head: "main_agents", base: "main", title: "t", body: "b" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: Code.Unavailable });
    const message = (error as ConnectError).rawMessage;
    expect(message).toMatch(/^GitHub's list of pull requests is not in the expected shape \(0\.number: .*; 0\.html_url: .*\); check integration\.pullRequests\.apiUrl/);
    expect(github.asked).toEqual(["GET /repos/acme/widgets/pulls"]);
  });

  it("a container engine answer of another shape is an EngineError naming the field and DOCKER_HOST", async () => {
    const engine = await serveJson({ "/version": { ApiVersion: "1.43" }, "/v1.43/containers/create": { Warnings: [] } });
    servers.push(engine.server);
    const client = createEngineClient(engine.url.replace("http:", "tcp:"));
    const error = await client.read(createdObject, "POST", "/containers/create", { Image: "x" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toMatch(
      /the answer to POST \/containers\/create on tcp:.* is not in the expected shape \(Id: .*\); check that DOCKER_HOST points at a Docker Engine API/,
    );

    const badVersion = await serveJson({ "/version": { ApiVersion: 43 } });
    servers.push(badVersion.server);
    const confused = createEngineClient(badVersion.url.replace("http:", "tcp:"));
    await expect(confused.call("POST", "/containers/x/start")).rejects.toThrow(/GET \/version .* not in the expected shape \(ApiVersion: /);
  });

  it("a lock file naming no real pid (0, which signals our own group) is stale, not held forever", async () => {
    const dir = await tempDir("pushpals-lock-");
    try {
      const lock = join(dir.path, "integration.lock");
      await writeFile(lock, JSON.stringify({ pid: 0, host: hostname(), since: "then" }));
      const taken = await acquireWorktreeLock(lock);
      await taken.release();
    } finally {
      await dir.remove();
    }
  });
});
