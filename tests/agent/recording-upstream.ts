import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";

export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
}

/**
 * Sits between the model proxy and the scripted model server and keeps what each request
 * carried, headers included (the scripted server records bodies only): the test checks that the
 * real key went upstream and that the job's model was pinned. `target` may be a function, for a
 * model server started after the recorder (a script that names the recorder's port).
 */
export async function recordingUpstream(target: string | (() => string)): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    const path = (req.url ?? "").replace(/^\/v1/, "");
    seen.push({ method: req.method ?? "", path, authorization: req.headers.authorization, body: text ? (JSON.parse(text) as Record<string, unknown>) : null });
    const answer = await fetch((typeof target === "string" ? target : target()) + path, {
      method: req.method,
      headers: { "content-type": "application/json" },
      ...(text ? { body: text } : {}),
    });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    if (answer.body) for await (const chunk of Readable.fromWeb(answer.body as ReadableStream<Uint8Array>)) res.write(chunk);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
