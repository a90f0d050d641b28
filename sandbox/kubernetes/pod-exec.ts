import { Exec, type V1Status } from "@kubernetes/client-node";
// Not re-exported by the package's index; needed to give each exec its own streams (below).
import { WebSocketHandler } from "@kubernetes/client-node/dist/web-socket-handler.js";
import { PassThrough, type Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { errorMessage, unavailable } from "../../shared/errors.js";
import type { Cluster } from "./cluster.js";
import { CONTAINER_NAME } from "./names.js";

/** Where an exec goes. */
export interface PodTarget {
  cluster: Cluster;
  namespace: string;
  pod: string;
}

export interface ExecStreams {
  stdout: Writable;
  stderr: Writable;
  /** Bytes for the command's stdin; without it the exec asks for no stdin at all. */
  stdin?: AsyncIterable<Buffer>;
}

export interface OpenExec {
  /** The subprotocol the API server chose (v5 can close stdin; v4 cannot). */
  readonly protocol: string;
  /** The exit code from the status channel; rejects when the stream ends without one. */
  readonly exitCode: Promise<number>;
  /** Drops the connection. The process in the pod goes on: kill it first (pod-scripts.ts). */
  close(): void;
}

/** The part of the `ws` socket the client hands back that is used here (`ws` ships no types in this project). */
interface ExecSocket {
  readonly protocol: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  close(code?: number): void;
  once(event: "close", listener: () => void): unknown;
}

const OPEN = 1;
export const V5_CHANNEL = "v5.channel.k8s.io";
/** stdin waits while this much is queued on the socket, so a large tar is not all held in memory. */
const STDIN_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * Runs `command` (an argv, no shell) in the sandbox container through the Exec API: a
 * WebSocket speaking the channel protocol (stdin 0, stdout 1, stderr 2, status 3), made by
 * @kubernetes/client-node. Output is written to the given streams as it arrives.
 *
 * stdin: only v5.channel.k8s.io can say "stdin ended" (a close frame); on older servers the
 * client closes the whole socket instead, losing the output and the exit status. So stdin is
 * ended only on v5, and the scripts read exactly the number of bytes they are told
 * (`head -c N`) so they finish on either protocol.
 */
export async function openExec(target: PodTarget, command: string[], streams: ExecStreams): Promise<OpenExec> {
  const { cluster, namespace, pod } = target;
  const stdin = streams.stdin ? new PassThrough() : null;
  // A handler per exec: its `streams` receive the server's close frames (the default is process.stdout).
  const handler = new WebSocketHandler(cluster.kubeConfig, undefined, {
    stdin: stdin ?? new PassThrough(),
    stdout: streams.stdout,
    stderr: streams.stderr,
  });
  let status: V1Status | undefined;
  let socket: ExecSocket;
  try {
    socket = (await new Exec(cluster.kubeConfig, handler).exec(namespace, pod, CONTAINER_NAME, command, streams.stdout, streams.stderr, stdin, false, (received) => {
      status = received;
    })) as ExecSocket;
  } catch (error) {
    throw unavailable(
      `could not exec in pod ${namespace}/${pod}: ${connectMessage(error)}; check the pod still runs (kubectl -n ${namespace} get pod ${pod}) and the runner may create pods/exec there`,
    );
  }
  const closed = new Promise<void>((resolve) => socket.once("close", resolve));
  const fed = stdin && streams.stdin ? feed(socket, stdin, streams.stdin) : Promise.resolve();
  fed.catch(() => socket.close());
  const exitCode = Promise.all([closed, fed]).then(() => {
    if (!status) {
      throw unavailable(`the exec in pod ${namespace}/${pod} ended without an exit status; the pod may have been deleted or evicted (kubectl -n ${namespace} describe pod ${pod})`);
    }
    return exitCodeOf(status, `${namespace}/${pod}`);
  });
  return { protocol: socket.protocol, exitCode, close: () => socket.close() };
}

async function feed(socket: ExecSocket, stdin: PassThrough, source: AsyncIterable<Buffer>): Promise<void> {
  try {
    for await (const chunk of source) {
      while (socket.readyState === OPEN && socket.bufferedAmount > STDIN_HIGH_WATER_BYTES) await sleep(5);
      if (socket.readyState !== OPEN) return;
      stdin.write(chunk);
    }
  } catch (error) {
    throw unavailable(`could not read the input for the exec: ${errorMessage(error)}`);
  }
  if (socket.protocol === V5_CHANNEL) stdin.end();
}

/**
 * Success is 0; a command that exited non-zero is "Failure" with reason NonZeroExitCode and its
 * code in details.causes. Any other failure means the command never ran (no such binary, ...).
 */
export function exitCodeOf(status: V1Status, where: string): number {
  if (status.status === "Success") return 0;
  if (status.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((candidate) => candidate.reason === "ExitCode");
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  throw unavailable(`the exec in pod ${where} failed: ${status.message ?? status.reason ?? "no reason given"}; check the sandbox image has /bin/sh, tar, head and setsid`);
}

function connectMessage(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") return error.message;
  return errorMessage(error);
}
