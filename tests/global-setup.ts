import { connect } from "node:net";

/** Fails fast, with what to do, when the loopback services the suites need are down. */
export default async function setup(): Promise<void> {
  const missing: string[] = [];
  if (!(await reachable(5432))) missing.push("PostgreSQL on 127.0.0.1:5432");
  if (!(await reachable(4222))) missing.push("NATS on 127.0.0.1:4222");
  if (missing.length > 0) {
    throw new Error(`tests need ${missing.join(" and ")}; run \`bash .ci/run\` once (it installs and starts them)`);
  }
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(2000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}
