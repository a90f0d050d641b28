import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";

/**
 * The `ws` package (already installed as @kubernetes/client-node's WebSocket) for the fake's
 * exec endpoint. The project has no @types/ws, so the little used here is typed here.
 */
export interface ServerSocket {
  readonly protocol: string;
  readonly readyState: number;
  send(data: Buffer): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: "close", listener: () => void): this;
}

export interface UpgradeServer {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, done: (socket: ServerSocket) => void): void;
  close(): void;
}

interface WsModule {
  WebSocketServer: new (options: { noServer: true; handleProtocols: (offered: Set<string>, request: IncomingMessage) => string | false }) => UpgradeServer;
}

const ws = createRequire(import.meta.url)("ws") as WsModule;

export function upgradeServer(pickProtocol: (offered: Set<string>) => string | false): UpgradeServer {
  return new ws.WebSocketServer({ noServer: true, handleProtocols: (offered) => pickProtocol(offered) });
}
