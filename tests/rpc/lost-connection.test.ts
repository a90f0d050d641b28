import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { createClients } from "../../shared/clients.js";

/** An HTTP/2 server in its own process that takes every call and never answers, until it is killed. */
const SILENT_SERVER = `
const http2 = require("node:http2");
const server = http2.createServer();
server.on("stream", () => {});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

async function startSilentServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["-e", SILENT_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const [data] = (await once(child.stdout!, "data")) as [Buffer];
  return { child, url: `http://127.0.0.1:${data.toString().trim()}` };
}

async function codeOf(call: Promise<unknown>): Promise<Code | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

describe("kernel clients when the server dies mid-call", () => {
  let server: { child: ChildProcess; url: string } | undefined;
  afterEach(() => {
    server?.child.kill("SIGKILL");
    server = undefined;
  });

  it("a unary call and a server stream open on a server killed with SIGKILL fail Unavailable (retryable), not Canceled", async () => {
    server = await startSilentServer();
    const clients = createClients(server.url);
    const unary = codeOf(clients.sessions.getSession({ sessionId: "ses_x" }));
    const stream = codeOf(
      (async () => {
        for await (const _ of clients.sessions.streamEvents({ sessionId: "ses_x" })) {
          // never answers
        }
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.child.kill("SIGKILL");
    expect(await Promise.all([unary, stream])).toEqual([Code.Unavailable, Code.Unavailable]);
  });

  it("a call the caller cancels is still Canceled, and one that runs out of time DeadlineExceeded", async () => {
    server = await startSilentServer();
    const clients = createClients(server.url);
    const cancelled = codeOf(clients.sessions.getSession({ sessionId: "ses_x" }, { signal: AbortSignal.timeout(100) }));
    const streamCancelled = new AbortController();
    const stream = codeOf(
      (async () => {
        for await (const _ of clients.sessions.streamEvents({ sessionId: "ses_x" }, { signal: streamCancelled.signal })) {
          // never answers
        }
      })(),
    );
    setTimeout(() => streamCancelled.abort(), 100);
    const late = codeOf(clients.sessions.getSession({ sessionId: "ses_x" }, { timeoutMs: 100 }));
    expect(await Promise.all([cancelled, stream, late])).toEqual([Code.Canceled, Code.Canceled, Code.DeadlineExceeded]);
  });
});
