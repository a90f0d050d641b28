import { copyFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { failedPrecondition } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/log.js";
import { packageRoot } from "../../../shared/paths.js";
import type { ModelSocketDir, Sandbox } from "../../../sandbox/driver.js";
import { shellQuote } from "./command-template.js";
import { startModelProxy, type ModelProxyOptions } from "./model-proxy.js";

const SOCKET_FILE = "model.sock";
// Plain .mjs copied from the source tree (dist/ has no copy); its folder is one path string below so scripts/rehome.mjs can follow it.
const BRIDGE_FILE = "model-bridge.mjs";

export interface ModelChannel {
  /** What the CLI reads to find its model: the socket, the job token and the model, never the key. */
  env: Record<string, string>;
  /** The CLI's command line, run by the bridge when the sandbox has node to run it. */
  wrap(commandLine: string): string;
  close(): Promise<void>;
}

export interface ModelChannelOptions extends Omit<ModelProxyOptions, "socketPath"> {
  sandbox: Sandbox;
  /** For the job's log: a line the person reading it must see. */
  say(line: string): Promise<void> | void;
  signal: AbortSignal;
  logger: Logger;
}

/**
 * The only way from an agent CLI in its sandbox to the model: the job's proxy on a unix socket in
 * the sandbox's private model directory, and in front of it, inside the sandbox's own network
 * namespace, model-bridge.mjs on a loopback port for CLIs that speak HTTP over TCP. The bridge
 * needs node inside; without one the CLI gets the socket only (PUSHPALS_MODEL_SOCKET).
 */
export async function openModelChannel(options: ModelChannelOptions): Promise<ModelChannel> {
  const { sandbox, logger } = options;
  const dir = sandbox.modelSocket;
  if (!dir) {
    throw failedPrecondition(
      `the ${sandbox.id} sandbox has no model socket directory, so the agent CLI has no way to its model; start it with spec.modelSocket (the runner does for agent.backend = "command"), or use a sandbox driver that supports it (bwrap, docker, process)`,
    );
  }
  await copyFile(join(packageRoot(), "services/runner/agent", BRIDGE_FILE), join(dir.hostDir, BRIDGE_FILE));
  const { upstream, tokensLeft, onUsage } = options;
  const proxy = await startModelProxy({ upstream, tokensLeft, onUsage, logger, socketPath: join(dir.hostDir, SOCKET_FILE) });
  try {
    const node = dir.node ?? (await nodeInside(sandbox, options.signal));
    if (!node) {
      const line = `the sandbox has no node to bridge a loopback port to the model socket, so the agent CLI gets only PUSHPALS_MODEL_SOCKET=${socketInside(dir)} (no OPENAI_BASE_URL); use a sandbox image with node, or a CLI that speaks HTTP over a unix socket`;
      logger.warn({ sandbox: sandbox.id }, line);
      await options.say(line);
    }
    const bridge = node ? [shellQuote(node), shellQuote(posix.join(dir.dir, BRIDGE_FILE)), shellQuote(socketInside(dir))] : undefined;
    return {
      env: { PUSHPALS_MODEL_SOCKET: socketInside(dir), PUSHPALS_MODEL_TOKEN: proxy.token, OPENAI_API_KEY: proxy.token, PUSHPALS_MODEL: upstream.model },
      wrap: (commandLine) => (bridge ? `${bridge.join(" ")} /bin/sh -c ${shellQuote(commandLine)}` : commandLine),
      close: () => proxy.close(),
    };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}

function socketInside(dir: ModelSocketDir): string {
  return posix.join(dir.dir, SOCKET_FILE);
}

/** The path of `node` on the sandbox's PATH, if there is one. */
async function nodeInside(sandbox: Sandbox, signal: AbortSignal): Promise<string | undefined> {
  const execution = sandbox.exec("command -v node", { signal, timeoutMs: 30_000 });
  let stdout = "";
  for await (const chunk of execution.output) if (chunk.stream === "stdout") stdout += chunk.data;
  const { exitCode } = await execution.result;
  const path = stdout.trim();
  return exitCode === 0 && path.startsWith("/") ? path : undefined;
}
