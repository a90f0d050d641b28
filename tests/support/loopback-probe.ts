import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";

export interface LoopbackProbe {
  /** A shell command printing `network-reachable` or `network-unreachable`: can it connect to the listener? */
  command: string;
  close(): Promise<void>;
}

/**
 * A loopback listener and the command that tries to reach it: run inside a sandbox it must say
 * `network-unreachable`; the same command on the host says `network-reachable`, which proves the
 * probe itself works.
 */
export async function loopbackProbe(): Promise<LoopbackProbe> {
  const listener = createServer((socket) => socket.end()).listen(0, "127.0.0.1");
  await once(listener, "listening");
  const { port } = listener.address() as AddressInfo;
  return {
    command: `bash -c '(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo network-reachable || echo network-unreachable'`,
    close: () => new Promise<void>((resolve) => listener.close(() => resolve())),
  };
}
