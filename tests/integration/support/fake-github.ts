import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the fake GitHub received, as sent. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakePull {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
  head: string;
  base: string;
}

/**
 * GitHub's pulls endpoints for one repository, in memory, over real HTTP: records every
 * request so tests can check exactly what our client sent. `onCreate` may answer a
 * create differently (a 422 race, a 500).
 */
export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  pulls: FakePull[];
  onCreate?: (body: { title: string; head: string; base: string; body: string }) => { status: number; json: unknown } | undefined;
  failEverything?: number;
  close(): Promise<void>;
}

export async function startFakeGitHub(repository: string): Promise<FakeGitHub> {
  const prefix = `/repos/${repository}/pulls`;
  const [owner] = repository.split("/");
  let nextNumber = 7;
  const fake: FakeGitHub = {
    url: "",
    requests: [],
    pulls: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const body: unknown = raw ? JSON.parse(raw) : undefined;
      fake.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      if (fake.failEverything) return reply(fake.failEverything, { message: "Server Error" });
      const url = new URL(req.url ?? "/", "http://fake");
      if (req.method === "GET" && url.pathname === prefix) {
        const head = url.searchParams.get("head");
        const base = url.searchParams.get("base");
        return reply(
          200,
          fake.pulls.filter((p) => `${owner}:${p.head}` === head && p.base === base),
        );
      }
      if (req.method === "POST" && url.pathname === prefix) {
        const draft = body as { title: string; head: string; base: string; body: string };
        const special = fake.onCreate?.(draft);
        if (special) return reply(special.status, special.json);
        const pull = {
          number: nextNumber++,
          html_url: `https://github.example/${repository}/pull/${nextNumber - 1}`,
          title: draft.title,
          body: draft.body,
          head: draft.head,
          base: draft.base,
        };
        fake.pulls.push(pull);
        return reply(201, pull);
      }
      const patch = new RegExp(`^${prefix}/(\\d+)$`).exec(url.pathname);
      if (req.method === "PATCH" && patch) {
        const pull = fake.pulls.find((p) => p.number === Number(patch[1]));
        if (!pull) return reply(404, { message: "Not Found" });
        Object.assign(pull, body as object);
        return reply(200, pull);
      }
      reply(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
