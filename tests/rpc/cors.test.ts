import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/test-server.js";

const UI = "http://localhost:5173";
const OTHER = "https://evil.example";
const RPC = "/pushpals.v1.SystemService/GetSystemStatus";

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(`${url}${RPC}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, connect-protocol-version, authorization" },
  });
}

function connectCall(url: string, origin: string): Promise<Response> {
  return fetch(`${url}${RPC}`, { method: "POST", headers: { origin, "content-type": "application/json", "connect-protocol-version": "1" }, body: "{}" });
}

describe("CORS with an allowlist", () => {
  let harness: TestServer;
  beforeAll(async () => {
    harness = await startTestServer({ corsOrigins: [UI] });
  });
  afterAll(() => harness.server.close());

  it("answers an allowed origin's preflight with the methods and headers Connect-Web and gRPC-Web send", async () => {
    const response = await preflight(harness.url, UI);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(UI);
    expect(response.headers.get("access-control-allow-methods")).toBe("POST, GET");
    const allowed = response.headers.get("access-control-allow-headers")!.split(", ");
    expect(allowed).toEqual(expect.arrayContaining(["Content-Type", "Connect-Protocol-Version", "X-Grpc-Web", "authorization", "traceparent"]));
    expect(response.headers.get("access-control-max-age")).toBe("7200");
    expect(response.headers.get("vary")).toContain("origin");
  });

  it("marks an allowed origin's call readable, with gRPC-Web's trailers exposed", async () => {
    const response = await connectCall(harness.url, UI);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ version: "test-1.2.3" });
    expect(response.headers.get("access-control-allow-origin")).toBe(UI);
    expect(response.headers.get("access-control-expose-headers")).toContain("Grpc-Status");
  });

  it("gives any other origin no CORS header at all, preflight or call", async () => {
    const refused = await preflight(harness.url, OTHER);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    expect(refused.headers.get("access-control-allow-methods")).toBeNull();
    const call = await connectCall(harness.url, OTHER);
    expect(call.headers.get("access-control-allow-origin")).toBeNull();
    expect(call.headers.get("access-control-expose-headers")).toBeNull();
  });
});

describe("CORS by default", () => {
  it("is off: even a local UI's origin gets no CORS header", async () => {
    const harness = await startTestServer();
    try {
      expect((await preflight(harness.url, UI)).headers.get("access-control-allow-origin")).toBeNull();
      const call = await connectCall(harness.url, UI);
      expect(call.status).toBe(200);
      expect(call.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await harness.server.close();
    }
  });
});
