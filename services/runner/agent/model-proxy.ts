import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { deadline } from "../../../shared/deadline.js";
import { silentLogger, type Logger } from "../../../shared/log.js";
import type { TokenCounts } from "../../../shared/llm/model.js";
import { usageFromJson, usageFromSse } from "./proxy-usage.js";

export interface ModelProxyOptions {
  /** The real endpoint: an OpenAI-compatible base URL ending in /v1, its key and the job's model. */
  upstream: { baseUrl: string; apiKey: string; model: string; timeoutMs: number };
  /**
   * The unix socket to listen on, in a private directory (a sandbox sees it through a mount);
   * never a TCP port, which every process of the host's network could reach.
   */
  socketPath: string;
  /** Tokens the job may still spend; at 0 or below requests are refused with 429. */
  tokensLeft(): number;
  /** Each reply's usage, awaited before the reply is finished. */
  onUsage(usage: TokenCounts): Promise<void> | void;
  logger?: Logger;
}

export interface ModelProxy {
  /** Where it listens; HTTP on it serves /v1/... as an OpenAI-compatible endpoint. */
  socketPath: string;
  /** The job-scoped token the CLI sends instead of an API key; worthless once the proxy is closed. */
  token: string;
  close(): Promise<void>;
}

/** Only what OpenAI-compatible agent CLIs call; everything else is refused. */
const FORWARDED = new Set(["POST /v1/chat/completions", "POST /v1/completions", "POST /v1/responses", "GET /v1/models"]);
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * A per-job HTTP proxy on the runner's host that holds the model key, so the agent CLI in the
 * sandbox only ever sees a random job token. It listens on a unix socket only (the sandbox has
 * no network; model-bridge.mjs gives the CLI a loopback port of its own in front of it). It forwards the few OpenAI routes a CLI needs,
 * pins the job's model, counts every reply's tokens (asking streams to include usage) and
 * refuses requests once the job's token budget is spent.
 */
export async function startModelProxy(options: ModelProxyOptions): Promise<ModelProxy> {
  const log = (options.logger ?? silentLogger).child({ component: "model-proxy" });
  const token = randomBytes(32).toString("base64url");
  const upstreamBase = options.upstream.baseUrl.replace(/\/+$/, "");
  const closing = new AbortController();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://proxy").pathname.replace(/\/+$/, "");
    if (!authorized(req, token)) return refuse(res, 401, "this proxy only accepts the job's token (PUSHPALS_MODEL_TOKEN / OPENAI_API_KEY in the sandbox)", "invalid_api_key");
    if (!FORWARDED.has(`${req.method} ${path}`)) {
      return refuse(res, 404, `the model proxy does not forward ${req.method} ${path}; it forwards ${[...FORWARDED].join(", ")}`, "not_found");
    }
    let body: string | undefined;
    if (req.method === "POST") {
      const read = await readJsonObject(req);
      if (typeof read === "string") return refuse(res, 400, read, "invalid_request_error");
      if (options.tokensLeft() <= 0) {
        return refuse(
          res,
          429,
          "the job's model token budget is spent; the agent must finish now (raise budgets.max_tokens or agent.max_tokens for bigger jobs)",
          "insufficient_quota",
        );
      }
      if (options.upstream.model && read.model !== options.upstream.model) {
        log.debug({ asked: read.model, pinned: options.upstream.model }, "pinning the job's model");
        read.model = options.upstream.model;
      }
      if (read.stream === true && path === "/v1/chat/completions") read.stream_options = { ...(read.stream_options as object | undefined), include_usage: true };
      body = JSON.stringify(read);
    }
    const started = Date.now();
    const gone = new AbortController();
    res.once("close", () => gone.abort());
    // Covers the answer's body too; it lets go of `closing` once the answer is through.
    const limit = deadline(options.upstream.timeoutMs, gone.signal, closing.signal);
    res.once("close", limit.clear);
    let upstream: Response;
    try {
      upstream = await fetch(upstreamBase + path.slice("/v1".length), {
        method: req.method,
        headers: {
          "content-type": "application/json",
          accept: req.headers.accept ?? "application/json",
          ...(options.upstream.apiKey ? { authorization: `Bearer ${options.upstream.apiKey}` } : {}),
        },
        body,
        signal: limit.signal,
      });
    } catch (error) {
      log.warn({ path, err: error }, "model proxy could not reach the model endpoint");
      return refuse(
        res,
        502,
        `the model proxy could not reach ${upstreamBase}: ${(error as Error).message}; check [llm.agent] base_url and that the model server is up`,
        "server_error",
        true,
      );
    }
    const contentType = upstream.headers.get("content-type") ?? "application/json";
    res.writeHead(upstream.status, { "content-type": contentType, "cache-control": "no-cache" });
    let usage: TokenCounts | undefined;
    try {
      usage = contentType.includes("text/event-stream") ? await pipeStream(upstream, res) : await pipeWhole(upstream, res);
    } catch (error) {
      // The CLI hung up, or the job ended: nobody is left to answer.
      if (gone.signal.aborted || closing.signal.aborted) return void res.destroy();
      throw error;
    }
    if (usage) await options.onUsage(usage);
    res.end();
    log.info({ path, status: upstream.status, durationMs: Date.now() - started, ...usage }, "proxied a model request");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, "model proxy failed to answer");
      if (!res.headersSent) refuse(res, 500, `model proxy error: ${(error as Error).message}`, "server_error");
      else res.destroy();
    });
  });
  const { socketPath } = options;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  log.info({ socketPath, upstream: upstreamBase, model: options.upstream.model }, "model proxy listening");
  return {
    socketPath,
    token,
    close: async () => {
      closing.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Gone with the job: nothing can connect to a proxy that was closed, not even by its path.
      await rm(socketPath, { force: true });
    },
  };
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization?.replace(/^Bearer\s+/i, "") ?? req.headers["api-key"] ?? req.headers["x-api-key"];
  const given = Buffer.from(typeof header === "string" ? header : "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown> | string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return `request body exceeds ${MAX_BODY_BYTES} bytes`;
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    return "request body must be a JSON object";
  } catch (error) {
    return `request body is not JSON: ${(error as Error).message}`;
  }
}

/** A server-sent event stream goes through chunk by chunk; its usage event is read on the way. */
async function pipeStream(upstream: Response, res: ServerResponse): Promise<TokenCounts | undefined> {
  if (!upstream.body) return undefined;
  const decoder = new TextDecoder();
  let pending = "";
  let usage: TokenCounts | undefined;
  for await (const chunk of Readable.fromWeb(upstream.body as import("node:stream/web").ReadableStream<Uint8Array>)) {
    res.write(chunk);
    pending += decoder.decode(chunk as Uint8Array, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    usage = usageFromSse(lines) ?? usage;
  }
  return usageFromSse([pending]) ?? usage;
}

async function pipeWhole(upstream: Response, res: ServerResponse): Promise<TokenCounts | undefined> {
  const text = await upstream.text();
  res.write(text);
  return upstream.ok ? usageFromJson(text) : undefined;
}

/** An OpenAI-shaped error; only an unreachable upstream is worth the client's retry. */
function refuse(res: ServerResponse, status: number, message: string, type: string, retry = false): void {
  const body = JSON.stringify({ error: { message, type, param: null, code: type } });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...(retry ? {} : { "x-should-retry": "false" }) });
  res.end(body);
}
