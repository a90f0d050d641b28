#!/usr/bin/env node
// PushPals' model bridge, run inside an agent's sandbox (plain JavaScript, so it runs on any node
// there without a build): listens on 127.0.0.1 of the sandbox's own network namespace and pipes
// each connection to the runner's model proxy, a unix socket bind-mounted into the sandbox.
//
//   node model-bridge.mjs <socket> <command> [args...]
//
// The command (the agent CLI) starts once the bridge listens, with OPENAI_BASE_URL (and
// OPENAI_API_BASE, PUSHPALS_MODEL_URL) pointing at it; the bridge exits with the command's code.
import { spawn } from "node:child_process";
import { realpathSync, statSync } from "node:fs";
import { connect, createServer } from "node:net";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

/** Exit codes of the bridge itself, apart from the command's: set up failed, or no such command. */
const SETUP_FAILED = 125;
const NOT_RUNNABLE = 127;

/** Listens on 127.0.0.1 (a free port) and pipes every connection to the unix socket. */
export function startBridge(socketPath) {
  const open = new Set();
  const server = createServer((client) => {
    const upstream = connect(socketPath);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.once("close", () => open.delete(socket));
      socket.on("error", end).on("close", end);
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            for (const socket of open) socket.destroy();
          }),
      });
    });
  });
}

function fail(code, message) {
  process.stderr.write(`pushpals model bridge: ${message}\n`);
  process.exit(code);
}

async function main([socketPath, command, ...args]) {
  if (!socketPath || !command) fail(SETUP_FAILED, "usage: node model-bridge.mjs <socket> <command> [args...]");
  let isSocket = false;
  try {
    isSocket = statSync(socketPath).isSocket();
  } catch {}
  if (!isSocket) fail(SETUP_FAILED, `${socketPath} is not a socket: the runner's model proxy for this job is not running (the job may have ended)`);
  let bridge;
  try {
    bridge = await startBridge(socketPath);
  } catch (error) {
    fail(SETUP_FAILED, `cannot listen on 127.0.0.1 in this sandbox: ${error.message}`);
  }
  const url = `http://127.0.0.1:${bridge.port}/v1`;
  const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, OPENAI_BASE_URL: url, OPENAI_API_BASE: url, PUSHPALS_MODEL_URL: url } });
  // A stop of the bridge is a stop of the command; the sandbox kills the whole tree after that anyway.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.once("error", (error) => fail(NOT_RUNNABLE, `cannot run ${command}: ${error.message}`));
  child.once("exit", (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
