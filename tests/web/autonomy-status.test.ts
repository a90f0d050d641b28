import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { AutonomyMode } from "../../gen/pushpals/v1/autonomy_pb.js";
import { fetchAutonomyStatus, setAutonomyMode } from "../../web/src/rpc/autonomy.js";
import { createWebClients } from "../../web/src/rpc/clients.js";
import { startTestControlPlane } from "../support/control-plane.js";

/**
 * The autonomy view's calls, made with the page's own clients (connect-web over fetch) against a
 * real control plane: the status it renders, the switch it flips (audited with who flipped it),
 * and a server without AutonomyService, which the view reports as not available.
 */
describe("the autonomy view's calls", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it("reads the real control plane's status and freezes autonomy for an hour, audited as the web's change", async () => {
    const plane = await startTestControlPlane();
    try {
      const clients = createWebClients(plane.url);
      const before = await fetchAutonomyStatus(clients);
      expect(before.available).toBe(true);
      if (!before.available) return;
      expect(before.status.state?.mode).toBe(AutonomyMode.OFF);

      const frozeAt = Date.now();
      const state = await setAutonomyMode(clients, AutonomyMode.FROZEN, "web", 60 * 60_000);
      expect(state?.mode).toBe(AutonomyMode.FROZEN);
      const after = await fetchAutonomyStatus(clients);
      if (!after.available) throw new Error("autonomy went away");
      expect(after.status.state?.mode).toBe(AutonomyMode.FROZEN);
      expect(after.status.state?.updatedBy).toBe("web");
      const until = timestampDate(after.status.state!.frozenUntil!).getTime();
      expect(until - frozeAt).toBeGreaterThan(59 * 60_000);
      expect(until - frozeAt).toBeLessThan(61 * 60_000);

      const audit = after.status.state!.auditSessionId;
      const { events } = await plane.clients.sessions.listEvents({ sessionId: audit, limit: 100 });
      const changes = events.flatMap((e) => (e.payload.case === "autonomyModeChanged" ? [e.payload.value.state] : []));
      expect(changes.at(-1)).toMatchObject({ mode: AutonomyMode.FROZEN, updatedBy: "web" });

      await setAutonomyMode(clients, AutonomyMode.OFF, "web");
      const off = await fetchAutonomyStatus(clients);
      expect(off.available && off.status.state?.mode).toBe(AutonomyMode.OFF);
    } finally {
      await plane.stop();
    }
  });

  it("says not available when the server has no AutonomyService (it answers 404)", async () => {
    server = createServer((_request, response) => {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("no RPC at /pushpals.v1.AutonomyService/GetAutonomyStatus");
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const answer = await fetchAutonomyStatus(createWebClients(url));
    expect(answer).toEqual({ available: false, reason: "this server has no AutonomyService" });
  });

  it("any other failure is an error for the view to show, not 'not available'", async () => {
    server = createServer((_request, response) => {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ code: "internal", message: "store down" }));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(fetchAutonomyStatus(createWebClients(url))).rejects.toThrow(/store down/);
  });
});
