import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failedPrecondition, invalidArgument } from "../shared/errors.js";
import type { SandboxSpec } from "./driver.js";

/** Where isolated sandboxes see the model socket's directory. */
export const SANDBOX_MODEL_DIR = "/run/pushpals";

/**
 * A unix socket's path must fit sun_path (108 bytes with its NUL); leave room for a file name
 * of this many bytes in the directory.
 */
const MAX_SOCKET_PATH = 107;
const ROOM_FOR_NAME = 24;

export interface HostModelDir {
  path: string;
  remove(): Promise<void>;
}

/**
 * The private host directory of one sandbox's model socket, when its spec asks for one: short
 * (under the temp dir, not the data dir, so a socket in it fits sun_path) and mode 0700
 * (mkdtemp), so no other user of the host can reach the socket. A spec that asks for it and for
 * the network is refused: the model socket is for agent sandboxes, which never get the network.
 */
export async function hostModelDir(spec: SandboxSpec): Promise<HostModelDir | undefined> {
  checkModelSocketSpec(spec);
  if (!spec.modelSocket) return undefined;
  const path = await mkdtemp(join(tmpdir(), "pp-"));
  const remove = () => rm(path, { recursive: true, force: true });
  if (Buffer.byteLength(path) + 1 + ROOM_FOR_NAME > MAX_SOCKET_PATH) {
    await remove();
    throw failedPrecondition(`the model socket directory ${path} is too long for a unix socket path (${MAX_SOCKET_PATH} bytes); set TMPDIR to a shorter directory, such as /tmp`);
  }
  return { path, remove };
}

/** For drivers that check the network before anything else: this refusal comes first. */
export function checkModelSocketSpec(spec: SandboxSpec): void {
  if (spec.modelSocket && spec.network) {
    throw invalidArgument(
      "spec.network",
      "must be off in a sandbox with a model socket: an agent sandbox never gets the host network (its CLI reaches the model through the socket)",
    );
  }
}
