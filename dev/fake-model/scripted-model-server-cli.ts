import { parseArgs } from "node:util";
import type { Logger } from "../../shared/log.js";
import { startScriptedModelServer, type ScriptedModelServer } from "./scripted-model-server.js";

export const SCRIPTED_SERVER_USAGE = "usage: scripted-model-server --script <replies.jsonl> [--port 0] [--host 127.0.0.1]";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface CliOptions {
  script: string;
  port: number;
  host: string;
}

/** Reads the command line; a mistake becomes a UsageError that says how to call it. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  let values: { script?: string; port?: string; host?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { script: { type: "string" }, port: { type: "string", default: "0" }, host: { type: "string", default: "127.0.0.1" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${SCRIPTED_SERVER_USAGE}`);
  }
  if (!values.script) throw new UsageError(`--script is required\n${SCRIPTED_SERVER_USAGE}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${values.port}"\n${SCRIPTED_SERVER_USAGE}`);
  }
  return { script: values.script, port, host: values.host ?? "127.0.0.1" };
}

/** Starts the server and prints its base URL as the only line on stdout, for scripts to read. */
export async function runScriptedModelServer(argv: readonly string[], out: NodeJS.WritableStream, logger: Logger): Promise<ScriptedModelServer> {
  const options = parseCliArgs(argv);
  const server = await startScriptedModelServer({ ...options, logger });
  out.write(`${server.url}\n`);
  return server;
}
