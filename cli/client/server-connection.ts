import type { Transport } from "@connectrpc/connect";
import { createTransport } from "../../shared/client-transport.js";
import { usageError } from "./exit-codes.js";

/** Flags every client command takes. */
export const connectionOptions = {
  server: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The server a command talks to: its URL and one connection, with the clients the command makes over it. */
export interface ServerConnection<C> {
  url: string;
  transport: Transport;
  clients: C;
}

/** --server, else PUSHPALS_SERVER_URL, else the local default `pushpals up` listens on. */
export function resolveServerUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag || env.PUSHPALS_SERVER_URL || `http://127.0.0.1:${env.PUSHPALS_PORT || "3001"}`;
  const source = flag ? "--server" : env.PUSHPALS_SERVER_URL ? "PUSHPALS_SERVER_URL" : "PUSHPALS_PORT";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${source}: "${raw}" is not a URL; use e.g. http://127.0.0.1:3001`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`${source}: "${raw}" must start with http:// or https://`);
  }
  return url.href.replace(/\/$/, "");
}

export function connectToServer(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { url: string; transport: Transport } {
  const url = resolveServerUrl(flag, env);
  return { url, transport: createTransport(url, { token: env.PUSHPALS_AUTH_TOKEN || undefined }) };
}

/** Unary calls give up after this long so a hung server cannot hang a script; streams have their own limits. */
export const UNARY_CALL = { timeoutMs: 15_000 } as const;
