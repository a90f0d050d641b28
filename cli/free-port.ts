import { createServer } from "node:net";

/**
 * A port that is free right now on `host`. Mesh mode hands each child its port up
 * front so siblings can be told where it lives before it starts; the short window
 * in which another program could take the port is acceptable for a local tree.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
