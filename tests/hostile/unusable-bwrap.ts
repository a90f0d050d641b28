import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * A PATH on which `bwrap` is installed but cannot make a sandbox, as on a host where
 * unprivileged user namespaces are turned off: the first `bwrap` found fails the way the real
 * one does there. Everything else on PATH stays as it is.
 */
export async function pathWithUnusableBwrap(dir: string): Promise<string> {
  const bin = join(dir, "unusable-bwrap-bin");
  await mkdir(bin, { recursive: true });
  const bwrap = join(bin, "bwrap");
  await writeFile(bwrap, "#!/bin/sh\necho 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n");
  await chmod(bwrap, 0o755);
  return `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`;
}
