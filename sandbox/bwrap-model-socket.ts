import { realpath } from "node:fs/promises";
import { relative } from "node:path";
import type { SystemEntry } from "./bwrap-args.js";
import type { ModelSocketDir, SandboxSpec } from "./driver.js";
import type { Mount } from "./git-mounts.js";
import { hostModelDir, SANDBOX_MODEL_DIR } from "./model-socket-dir.js";

export interface BwrapModelSocket {
  socket: ModelSocketDir;
  mounts: Mount[];
  remove(): Promise<void>;
}

/**
 * The model socket's directory at /run/pushpals, and the runner's own node binary for the
 * bridge to the socket: it is under /usr on most hosts, else (nvm, a tarball) bound at its path.
 */
export async function bwrapModelSocket(spec: SandboxSpec, system: readonly SystemEntry[]): Promise<BwrapModelSocket | undefined> {
  const dir = await hostModelDir(spec);
  if (!dir) return undefined;
  const node = await realpath(process.execPath);
  const mounts: Mount[] = [{ host: dir.path, target: SANDBOX_MODEL_DIR, readOnly: true }];
  const seen = system.some((entry) => !("mask" in entry) && entry.symlink === undefined && isInside(node, entry.path));
  if (!seen) mounts.push({ host: node, target: node, readOnly: true });
  return { socket: { hostDir: dir.path, dir: SANDBOX_MODEL_DIR, node }, mounts, remove: dir.remove };
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/");
}
