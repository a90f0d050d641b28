import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fetchAutonomyStatus } from "../../web/src/rpc/autonomy.js";
import { startTestControlPlane } from "../support/control-plane.js";

/**
 * The autonomy view calls AutonomyService by name (its contracts are not on main yet). Against
 * today's real control plane it reports "not available"; against a server that answers the
 * contract's JSON (a stand-in here, checking the exact request the page sends) it shows it.
 */
describe("the autonomy view's call", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it("says not available against the real control plane, which has no AutonomyService", async () => {
    const plane = await startTestControlPlane();
    try {
      const answer = await fetchAutonomyStatus(plane.url);
      expect(answer).toEqual({ available: false, reason: expect.stringContaining("no AutonomyService") });
    } finally {
      await plane.stop();
    }
  });

  it("reads mode, gates, candidates and objectives once the service answers", async () => {
    const seen: { url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        seen.push({ url: request.url ?? "", headers: request.headers, body });
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          JSON.stringify({
            state: { mode: "AUTONOMY_MODE_FROZEN", frozenUntil: "2026-12-04T03:00:00Z", updatedBy: "ada" },
            evaluation: {
              summary: "one gate blocks",
              health: "AUTONOMY_HEALTH_CONSTRAINED",
              gates: [
                { gate: "budget", passed: false, reason: "tokens today over the cap" },
                { gate: "queue", passed: true },
              ],
              candidates: [{ kind: "flaky-test", target: "test.js", title: "fix the flaky test", score: 0.8 }],
            },
            objectives: [{ id: "obj_1", title: "fix the flaky test", status: "OBJECTIVE_STATUS_FINISHED", outcome: "OBJECTIVE_OUTCOME_MERGED" }],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const answer = await fetchAutonomyStatus(url);
    expect(seen).toEqual([
      {
        url: "/pushpals.v1.AutonomyService/GetAutonomyStatus",
        headers: expect.objectContaining({ "content-type": "application/json", "connect-protocol-version": "1" }),
        body: JSON.stringify({ objectivesLimit: 20 }),
      },
    ]);
    expect(answer.available).toBe(true);
    if (!answer.available) return;
    expect(answer.status.state?.mode).toBe("AUTONOMY_MODE_FROZEN");
    expect(answer.status.evaluation?.gates?.map((g) => [g.gate, g.passed])).toEqual([
      ["budget", false],
      ["queue", true],
    ]);
    expect(answer.status.objectives?.[0]?.outcome).toBe("OBJECTIVE_OUTCOME_MERGED");
  });

  it("a malformed answer is an error naming the field, not an empty view", async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ objectives: [{ title: "no id" }] }));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(fetchAutonomyStatus(url)).rejects.toThrow(/unexpected shape.*id/s);
  });
});
