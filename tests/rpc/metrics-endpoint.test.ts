import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { transports, type Transports } from "./support/clients.js";
import { SESSION_ID, startTestServer, type TestServer } from "./support/test-server.js";

const TOKEN = "metrics-scrape-token-0123456789";

function scrape(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/metrics`, { headers });
}

describe("/metrics behind the auth token", () => {
  let harness: TestServer;
  let clients: Transports;
  beforeAll(async () => {
    harness = await startTestServer({ metrics: true, authToken: TOKEN });
    clients = transports(harness.url, { authorization: `Bearer ${TOKEN}` });
  });
  afterAll(async () => {
    clients.close();
    await harness.server.close();
  });

  it("refuses a scrape without the token, or with a wrong one, and says what to send", async () => {
    const missing = await scrape(harness.url);
    expect(missing.status).toBe(401);
    expect(await missing.text()).toContain("PUSHPALS_AUTH_TOKEN");
    expect((await scrape(harness.url, { authorization: "Bearer not-the-token-at-all" })).status).toBe(401);
  });

  it("serves Prometheus text with the token: process metrics and the open server streams", async () => {
    const stop = new AbortController();
    const stream = createClient(SessionService, clients.connectHttp1).streamEvents({ sessionId: SESSION_ID }, { signal: stop.signal });
    const first = await stream[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);

    const response = await scrape(harness.url, { authorization: `Bearer ${TOKEN}` });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toMatch(/^pushpals_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^pushpals_nodejs_eventloop_lag_seconds [\d.e-]+/m);
    expect(text).toContain('pushpals_stream_subscribers{rpc="pushpals.v1.SessionService/StreamEvents"} 1');
    stop.abort();
    await expect.poll(async () => (await (await scrape(harness.url, { authorization: `Bearer ${TOKEN}` })).text()).match(/StreamEvents"} (\d+)/)?.[1]).toBe("0");
  });

  it("answers only GET and HEAD", async () => {
    const response = await fetch(`${harness.url}/metrics`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });
});

it("/metrics is off by default: the path is not served", async () => {
  const harness = await startTestServer();
  try {
    const response = await scrape(harness.url);
    expect(response.status).not.toBe(200);
    expect(await response.text()).not.toContain("pushpals_");
  } finally {
    await harness.server.close();
  }
});
