import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";

/** Fails fast, with what to do, when the loopback services the suites need are down. */
export default async function setup(): Promise<() => Promise<void>> {
  const missing: string[] = [];
  if (!(await reachable(5432))) missing.push("PostgreSQL on 127.0.0.1:5432");
  if (!(await reachable(4222))) missing.push("NATS on 127.0.0.1:4222");
  if (missing.length > 0) {
    throw new Error(`tests need ${missing.join(" and ")}; run \`bash .ci/run\` once (it installs and starts them)`);
  }
  // vitest.config.ts points XDG_STATE_HOME (the default data dir's parent) at a scratch folder.
  const state = process.env.XDG_STATE_HOME ?? "";
  return async () => {
    if (state.startsWith(tmpdir()) && state.includes("pushpals-test-state-")) await rm(state, { recursive: true, force: true });
  };
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
