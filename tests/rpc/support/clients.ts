import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";

const run = promisify(execFile);
export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..");
export const PROTO_DIR = join(REPO_ROOT, "proto");
const BUF = join(REPO_ROOT, "node_modules", ".bin", "buf");

/** Every Connect-ES client flavour against one URL; close() ends the shared HTTP/2 connection. */
export interface Transports {
  connectHttp1: Transport;
  connectHttp2: Transport;
  grpc: Transport;
  grpcWebHttp1: Transport;
  grpcWebHttp2: Transport;
  close(): void;
}

export function transports(baseUrl: string, headers: Record<string, string> = {}): Transports {
  const sessionManager = new Http2SessionManager(baseUrl);
  const addHeaders: Interceptor = (next) => (request) => {
    for (const [name, value] of Object.entries(headers)) request.header.set(name, value);
    return next(request);
  };
  const interceptors = [addHeaders];
  return {
    connectHttp1: createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors }),
    connectHttp2: createConnectTransport({ baseUrl, httpVersion: "2", sessionManager, interceptors }),
    grpc: createGrpcTransport({ baseUrl, sessionManager, interceptors }),
    grpcWebHttp1: createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors }),
    grpcWebHttp2: createGrpcWebTransport({ baseUrl, httpVersion: "2", sessionManager, interceptors }),
    close: () => sessionManager.abort(),
  };
}

export interface BufCurlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `buf curl` (Go, from @bufbuild/buf) against the server; never throws on a failed RPC. */
export async function bufCurl(args: string[]): Promise<BufCurlResult> {
  try {
    const { stdout, stderr } = await run(BUF, ["curl", ...args], { timeout: 20_000 });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: typeof failed.code === "number" ? failed.code : -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}
