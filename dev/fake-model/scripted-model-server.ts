import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { silentLogger, type Logger } from "../../shared/log.js";
import { sleep } from "../../shared/time.js";
import { replyQueue, type RequestView } from "./scripted-replies.js";
import { completionBody, errorBody, streamChunks, type ReplyContext } from "./scripted-responses.js";
import { inlineScript, loadScript, type ScriptedReply, type ScriptedReplyInput, type ScriptLine } from "./scripted-script.js";

export interface ScriptedModelServerOptions {
  /** A JSONL script file, or the replies themselves. */
  script: string | readonly ScriptedReplyInput[];
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  logger?: Logger;
}

/** One request the server received, in arrival order. */
export interface RecordedRequest {
  seq: number;
  at: string;
  method: string;
  path: string;
  body: unknown;
  status: number;
  /** The script line that answered, if one did. */
  line: number | null;
}

export interface ScriptedModelServer {
  /** The base URL an OpenAI client takes, ending in /v1. */
  url: string;
  port: number;
  requests(): RecordedRequest[];
  remaining(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

const contentSchema = z.union([z.string(), z.null(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]);
const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string().min(1), content: contentSchema.optional() })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
});
type ChatRequest = z.output<typeof chatRequestSchema>;

/**
 * An OpenAI-compatible HTTP server that replays a script, so the planner and the agent loop
 * run through the real `openai` client without a model. It asserts nothing: tests look at what
 * the system did, and at `requests()` (also GET /_scripted/requests) for what it sent.
 */
export async function startScriptedModelServer(options: ScriptedModelServerOptions): Promise<ScriptedModelServer> {
  const source = typeof options.script === "string" ? options.script : "inline script";
  const lines: ScriptLine[] = typeof options.script === "string" ? await loadScript(options.script) : inlineScript(options.script);
  const queue = replyQueue(lines, source);
  const log = (options.logger ?? silentLogger).child({ component: "scripted-model-server", script: source });
  const recorded: RecordedRequest[] = [];
  const models = ["scripted", ...new Set(lines.flatMap((l) => (l.reply.match?.model ? [l.reply.match.model] : [])))];

  const record = (req: IncomingMessage, path: string, body: unknown, status: number, line: number | null) => {
    const entry = { seq: recorded.length + 1, at: new Date().toISOString(), method: req.method ?? "", path, body, status, line };
    recorded.push(entry);
    log.debug({ seq: entry.seq, path, status, line }, "scripted model request");
    return entry;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://scripted").pathname.replace(/\/+$/, "");
    if (req.method === "GET" && path === "/_scripted/requests") {
      return sendJson(res, 200, { requests: recorded, remaining: queue.remaining() });
    }
    if (req.method === "GET" && path === "/v1/models") {
      record(req, path, null, 200, null);
      return sendJson(res, 200, { object: "list", data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "pushpals-scripted" })) });
    }
    if (req.method === "POST" && path === "/v1/chat/completions") return chatCompletion(req, res, path);
    record(req, path, null, 404, null);
    return sendJson(
      res,
      404,
      errorBody(`no route ${req.method} ${path}; this server answers GET /v1/models, POST /v1/chat/completions and GET /_scripted/requests`, "invalid_request_error"),
    );
  }

  async function chatCompletion(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readJson(req);
    if (!body.ok) {
      record(req, path, null, body.status, null);
      return sendJson(res, body.status, errorBody(body.message, "invalid_request_error"));
    }
    const parsed = chatRequestSchema.safeParse(body.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join(".") ?? null;
      record(req, path, body.value, 400, null);
      return sendJson(res, 400, errorBody(`invalid chat completion request: ${param}: ${issue?.message}`, "invalid_request_error", param));
    }
    const request = parsed.data;
    const choice = queue.choose(viewOf(request));
    if (choice.kind === "exhausted") {
      record(req, path, body.value, 500, null);
      log.warn({ remaining: queue.remaining() }, choice.message);
      // Nothing will change on a retry, so tell the client not to.
      return sendJson(res, 500, errorBody(choice.message, "server_error"), { "x-should-retry": "false" });
    }
    const { line, reply } = choice.line;
    if (choice.kind === "reject-response-format") {
      record(req, path, body.value, 400, line);
      return sendJson(
        res,
        400,
        errorBody(`response_format is not supported by this endpoint (script line ${line} sets reject_response_format)`, "invalid_request_error", "response_format"),
      );
    }
    const status = reply.status ?? 200;
    const entry = record(req, path, body.value, status, line);
    if (reply.delay_ms) {
      const gone = new AbortController();
      res.once("close", () => gone.abort());
      await sleep(reply.delay_ms, gone.signal);
      if (gone.signal.aborted) return;
    }
    if (reply.status) return sendJson(res, reply.status, errorBody(reply.error ?? `scripted ${reply.status} (script line ${line})`, errorType(reply.status)));
    const context: ReplyContext = {
      id: `chatcmpl-scripted-${entry.seq}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      promptText: request.messages.map((m) => textOf(m.content)).join("\n"),
    };
    if (request.stream) return sendStream(res, reply, context, request.stream_options?.include_usage === true);
    return sendJson(res, 200, completionBody(reply, context));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, "scripted model server failed to answer");
      if (!res.headersSent) sendJson(res, 500, errorBody(`scripted model server error: ${(error as Error).message}`, "server_error"));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/v1`;
  log.info({ url, replies: lines.length }, "scripted model server listening");

  return {
    url,
    port,
    requests: () => recorded.map((r) => ({ ...r })),
    remaining: () => queue.remaining(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function viewOf(request: ChatRequest): RequestView {
  const system = request.messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => textOf(m.content));
  const lastUser = request.messages.findLast((m) => m.role === "user");
  const format = request.response_format?.type;
  return {
    model: request.model,
    system: system.join("\n"),
    lastUser: lastUser ? textOf(lastUser.content) : "",
    hasResponseFormat: format !== undefined && format !== "text",
  };
}

function textOf(content: z.output<typeof contentSchema> | undefined): string {
  if (typeof content === "string") return content;
  return (content ?? []).map((part) => part.text ?? "").join("");
}

function errorType(status: number): string {
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, message: `request body exceeds ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown };
  } catch (error) {
    return { ok: false, status: 400, message: `request body is not JSON: ${(error as Error).message}` };
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendStream(res: ServerResponse, reply: ScriptedReply, context: ReplyContext, includeUsage: boolean): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const chunk of streamChunks(reply, context, includeUsage)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  res.end("data: [DONE]\n\n");
}
