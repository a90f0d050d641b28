import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { Logger } from "../log.js";

type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
type NodeServerResponse = Parameters<NodeHandlerFn>[1];

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves the web UI for GET/HEAD requests that are not RPC paths. A path with no
 * file extension that names no file gets index.html, so the UI's own routes
 * survive a reload. Everything else (unknown RPCs included) is a 404, which
 * gRPC clients read as Unimplemented.
 */
export function serveStaticFiles(staticDir: string | undefined, logger: Logger): NodeHandlerFn {
  const root = staticDir === undefined ? undefined : resolve(staticDir);
  return (request, response) => {
    const method = request.method ?? "GET";
    const pathname = (request.url ?? "/").split("?", 1)[0] ?? "/";
    if ((method !== "GET" && method !== "HEAD") || root === undefined) {
      return notFound(response, root === undefined ? `no RPC at ${pathname}, and this server serves no web UI` : `no RPC at ${pathname}`);
    }
    findFile(root, pathname)
      .then(async (file) => {
        if (!file) return notFound(response, `no file at ${pathname}`);
        response.writeHead(200, {
          "content-type": CONTENT_TYPES[extname(file.path)] ?? "application/octet-stream",
          "content-length": String(file.size),
          "x-content-type-options": "nosniff",
          // index.html names the hashed assets of the current build, so it must be revalidated.
          "cache-control": file.path.endsWith(".html") ? "no-cache" : "public, max-age=3600",
        });
        if (method === "HEAD") return void response.end();
        await pipeline(createReadStream(file.path), response);
      })
      .catch((error: unknown) => {
        logger.warn({ err: error, path: pathname }, "serving a static file failed");
        if (!response.headersSent) notFound(response, `could not read ${pathname}`);
        else response.destroy();
      });
  };
}

async function findFile(root: string, pathname: string): Promise<{ path: string; size: number } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const wanted = resolve(root, `.${decoded}`);
  if (wanted !== root && !wanted.startsWith(root + sep)) return undefined;
  const direct = await fileAt(wanted);
  if (direct) return direct;
  const index = await fileAt(join(wanted, "index.html"));
  if (index) return index;
  return extname(decoded) === "" ? fileAt(join(root, "index.html")) : undefined;
}

async function fileAt(path: string): Promise<{ path: string; size: number } | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? { path, size: info.size } : undefined;
  } catch {
    return undefined;
  }
}

function notFound(response: NodeServerResponse, message: string): void {
  response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
  response.end(`${message}\n`);
}
