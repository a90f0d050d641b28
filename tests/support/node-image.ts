import { execFile } from "node:child_process";
import { chmod, copyFile, cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { createEngineClient, EngineError } from "../../sandbox/docker/engine-client.js";

const run = promisify(execFile);

/** A local image with this host's node and npm on busybox, named by the node version (built once per machine). */
/** The recipe revision is in the tag: a changed recipe builds a new image instead of reusing an old one. */
export const NODE_IMAGE = `localhost/pushpals-node:${process.version.slice(1)}-r2`;

/**
 * No registry is reachable for images here, so the image is made from the host's own files:
 * busybox (sh, the applets the docker driver's exec scripts use), the node binary with the shared
 * libraries `ldd` names, and npm, tarred and `podman import`ed (or `docker import`). An image
 * already there under the name is reused: a few seconds on the first run only.
 */
export async function ensureNodeImage(dockerHost?: string): Promise<string> {
  const engine = createEngineClient(dockerHost);
  const present = await engine.call("GET", `/images/${encodeURIComponent(NODE_IMAGE)}/json`).then(
    () => true,
    (error: unknown) => {
      if (error instanceof EngineError && error.status === 404) return false;
      throw error;
    },
  );
  if (present) return NODE_IMAGE;
  const root = await mkdtemp(join(tmpdir(), "pushpals-node-image-"));
  try {
    const busybox = (await run("sh", ["-c", "command -v busybox"])).stdout.trim();
    await mkdir(join(root, "bin"), { recursive: true });
    await copyFile(busybox, join(root, "bin/busybox"));
    await chmod(join(root, "bin/busybox"), 0o755);
    const applets = (await run(busybox, ["--list"])).stdout.split("\n").filter((name) => name && name !== "busybox");
    await Promise.all(applets.map((name) => symlink("busybox", join(root, "bin", name))));
    const node = process.execPath;
    await hostFile(root, node);
    const libraries = (await run("ldd", [node])).stdout.matchAll(/(\/\S+) \(0x/g);
    for (const [, library] of libraries) await hostFile(root, library!);
    const npmRoot = join(dirname(dirname(node)), "lib/node_modules/npm");
    await cp(npmRoot, join(root, npmRoot), { recursive: true, dereference: false });
    await mkdir(join(root, "usr/bin"), { recursive: true });
    if (node !== "/usr/bin/node") await symlink(node, join(root, "usr/bin/node"));
    await symlink(join(npmRoot, "bin/npm-cli.js"), join(root, "usr/bin/npm"));
    await symlink(join(npmRoot, "bin/npx-cli.js"), join(root, "usr/bin/npx"));
    await symlink("/bin/busybox", join(root, "usr/bin/env"));
    await mkdir(join(root, "etc"), { recursive: true });
    // The host's trust store and npm's global config (this machine's egress has its own CA).
    await copyIfPresent("/etc/ssl/certs/ca-certificates.crt", join(root, "etc/ssl/certs/ca-certificates.crt"));
    await copyIfPresent(join(dirname(dirname(node)), "etc/npmrc"), join(root, dirname(dirname(node)), "etc/npmrc"));
    await writeFile(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    await writeFile(join(root, "etc/group"), "root:x:0:\n");
    await mkdir(join(root, "tmp"));
    await mkdir(join(root, "workspace"));
    await run("tar", ["-C", root, "-cf", `${root}.tar`, "."]);
    const engineCli = await run("sh", ["-c", "command -v podman || command -v docker"]).then((out) => out.stdout.trim());
    await run(engineCli, ["import", "--change", "WORKDIR /workspace", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", `${root}.tar`, NODE_IMAGE], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return NODE_IMAGE;
  } finally {
    await rm(root, { recursive: true, force: true });
    await rm(`${root}.tar`, { force: true });
  }
}

async function copyIfPresent(source: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await copyFile(source, target).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/** Copies a host file to the same path under `root`, following symlinks (libraries are often links). */
async function hostFile(root: string, path: string): Promise<void> {
  await mkdir(join(root, dirname(path)), { recursive: true });
  await copyFile(path, join(root, path));
  await chmod(join(root, path), 0o755);
}
