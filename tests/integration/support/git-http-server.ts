import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A git smart-HTTP server for the repositories under `root` (git http-backend behind
 * node:http) that demands HTTP basic auth, like GitHub does over HTTPS. It records the
 * Authorization header of every request, and while serving an authenticated one it
 * looks through every process's command line for the secret, so a test can prove the
 * token never appeared in `ps`.
 */
export interface GitHttpServer {
  url: string;
  authorizations: Array<string | undefined>;
  /** Command lines (of any process) that contained the secret while a request was served. */
  leaks: string[];
  close(): Promise<void>;
}

export async function startGitHttpServer(root: string, user: string, secret: string): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;
  const state: Omit<GitHttpServer, "url" | "close"> = { authorizations: [], leaks: [] };
  const server = createServer((req, res) => {
    state.authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="pushpals-test"' });
      return res.end("authentication required\n");
    }
    state.leaks.push(...commandLinesContaining(secret));
    serveWithHttpBackend(root, req, res, user);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    ...state,
    get authorizations() {
      return state.authorizations;
    },
    get leaks() {
      return state.leaks;
    },
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function serveWithHttpBackend(root: string, req: IncomingMessage, res: ServerResponse, user: string): void {
  const url = new URL(req.url ?? "/", "http://local");
  const backend = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      REMOTE_USER: user, // enables receive-pack (push)
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
      GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
    },
    stdio: ["pipe", "pipe", "ignore"],
  });
  req.pipe(backend.stdin);
  const chunks: Buffer[] = [];
  backend.stdout.on("data", (c: Buffer) => chunks.push(c));
  backend.on("close", () => {
    const output = Buffer.concat(chunks);
    const split = output.indexOf("\r\n\r\n");
    const head = output.subarray(0, split).toString("utf8");
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of head.split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else if (name) headers[name] = value;
    }
    res.writeHead(status, headers);
    res.end(output.subarray(split + 4));
  });
}

function commandLinesContaining(secret: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes(secret)) found.push(cmdline.replace(/\0/g, " "));
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}
