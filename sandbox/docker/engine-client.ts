/**
 * A minimal Docker Engine API client over node:http, for exactly what the docker sandbox
 * needs (containers, exec, ping). The project dropped dockerode because it pulls ssh2 and
 * cpu-features, whose native install scripts we do not want to run; the API itself is plain
 * JSON over HTTP on a unix socket. Works against Docker and podman's Docker-compatible service.
 */
import { request, type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import type { Duplex, Readable } from "node:stream";
import type { z } from "zod";
import { errorMessage } from "../../shared/errors.js";
import { parseOutsideText } from "../../shared/outside-json.js";
import { engineError, engineVersion } from "./engine-answers.js";

/** The newest API version this client speaks; the engine's own maximum is used when lower. */
const CLIENT_API_VERSION = "1.44";

export class EngineError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

export interface EngineClient {
  /** `unix:///run/docker.sock` or `tcp://host:port`, for messages. */
  readonly host: string;
  ping(timeoutMs?: number): Promise<boolean>;
  /** A call whose answer is not read; a non-2xx answer throws EngineError with the engine's message. */
  call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<void>;
  /** A JSON call whose answer is checked against `answer`: another shape is an EngineError too. */
  read<T>(answer: z.ZodType<T>, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  /** Starts a streaming call (exec start): the connection is taken over for raw bytes both ways. */
  hijack(path: string, body: unknown): Promise<HijackedStream>;
}

export interface HijackedStream {
  /** The multiplexed output. */
  output: Readable;
  /** Where stdin goes, when the engine upgraded the connection; end() closes the command's stdin. */
  input: Duplex | undefined;
  /** Drops the connection. */
  close(): void;
}

export function defaultDockerHost(): string {
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

export function createEngineClient(host = defaultDockerHost()): EngineClient {
  const target = connectionTarget(host);
  let version: Promise<string> | undefined;

  const send = (method: string, path: string, body: unknown, extra: RequestOptions = {}): ClientRequest => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      ...target,
      ...extra,
      method,
      path,
      headers: {
        ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
        ...extra.headers,
      },
    });
    req.end(payload);
    return req;
  };

  const raw = async (method: string, path: string, body?: unknown, extra: RequestOptions = {}) => {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(method, path, body, extra);
      req.once("response", resolve);
      req.once("error", (error) => reject(unreachable(host, error)));
    });
    const text = await readAll(response);
    return { status: response.statusCode ?? 0, text };
  };

  /** The body of a 2xx answer. */
  const answered = async (method: string, path: string, body: unknown, signal: AbortSignal | undefined) => {
    const { status, text } = await raw(method, await versioned(path), body, signal ? { signal } : {});
    if (status < 200 || status >= 300) throw new EngineError(status, engineMessage(text) ?? `${method} ${path} answered ${status}`);
    return text;
  };

  const versioned = async (path: string) => {
    version ??= raw("GET", "/version").then(({ status, text }) => {
      if (status !== 200) throw new EngineError(status, `GET /version on ${host} answered ${status}: ${text.slice(0, 200)}`);
      const server = outsideAnswer(engineVersion, text, `GET /version on ${host}`).ApiVersion ?? CLIENT_API_VERSION;
      return olderOf(server, CLIENT_API_VERSION);
    });
    version.catch(() => (version = undefined));
    return `/v${await version}${path}`;
  };

  return {
    host,
    async ping(timeoutMs = 2000) {
      try {
        const { status } = await raw("GET", "/_ping", undefined, { signal: AbortSignal.timeout(timeoutMs) });
        return status === 200;
      } catch {
        return false;
      }
    },
    async call(method: string, path: string, body?: unknown, signal?: AbortSignal) {
      await answered(method, path, body, signal);
    },
    async read<T>(answer: z.ZodType<T>, method: string, path: string, body?: unknown, signal?: AbortSignal) {
      return outsideAnswer(answer, await answered(method, path, body, signal), `${method} ${path} on ${host}`);
    },
    async hijack(path, body) {
      const fullPath = await versioned(path);
      return new Promise<HijackedStream>((resolve, reject) => {
        const req = send("POST", fullPath, body, { headers: { connection: "Upgrade", upgrade: "tcp" } });
        req.once("error", (error) => reject(unreachable(host, error)));
        req.once("upgrade", (_response, socket, head) => {
          if (head.length > 0) socket.unshift(head);
          resolve({ output: socket, input: socket, close: () => socket.destroy() });
        });
        // Engines that do not upgrade still stream the output as the response body.
        req.once("response", (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve({ output: response, input: undefined, close: () => response.destroy() });
            return;
          }
          void readAll(response).then((text) => reject(new EngineError(status, engineMessage(text) ?? `POST ${path} answered ${status}`)));
        });
      });
    },
  };
}

function connectionTarget(host: string): RequestOptions {
  const url = new URL(host);
  if (url.protocol === "unix:") return { socketPath: url.pathname };
  if (url.protocol === "tcp:" || url.protocol === "http:") return { host: url.hostname, port: Number(url.port || 2375) };
  throw new EngineError(0, `DOCKER_HOST=${host} is not supported; use unix:///path/to/docker.sock or tcp://host:port`);
}

function unreachable(host: string, error: Error): Error {
  if (error.name === "AbortError") return error;
  return new EngineError(0, `cannot reach the container engine at ${host} (${error.message}); start Docker or podman (bash scripts/container-engine.sh) and set DOCKER_HOST`);
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function engineMessage(text: string): string | undefined {
  try {
    return parseOutsideText(engineError, text, "the engine's error").message;
  } catch {
    return text.trim() || undefined;
  }
}

function outsideAnswer<T>(answer: z.ZodType<T>, text: string, what: string): T {
  try {
    return parseOutsideText(answer, text, `the answer to ${what}`);
  } catch (error) {
    throw new EngineError(0, `${errorMessage(error)}; check that DOCKER_HOST points at a Docker Engine API (Docker, or podman's Docker API service)`);
  }
}

function olderOf(a: string, b: string): string {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor < bMajor || (aMajor === bMajor && aMinor < bMinor) ? a : b;
}
