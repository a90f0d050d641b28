import { Code, ConnectError } from "@connectrpc/connect";
import { existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../shared/ids.js";
import { BWRAP_WORKDIR, bwrapArgs, systemEntries } from "../../sandbox/bwrap-args.js";
import { bwrapModelSocket } from "../../sandbox/bwrap-model-socket.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "../../sandbox/bwrap-driver.js";
import { createDockerDriver } from "../../sandbox/docker-driver.js";
import type { Sandbox, SandboxDriver } from "../../sandbox/driver.js";
import { createProcessDriver } from "../../sandbox/process-driver.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { describeIfAvailable, type Requirement } from "./environment.js";
import { collect, makeWorkspace, type Workspace } from "./fixtures.js";

/**
 * spec.modelSocket, the only way from an agent's sandbox to the runner: a private host
 * directory, a socket in it usable from inside, nothing else writable, gone after stop().
 */

const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const GREETING = "hello from the runner's side";

/** `node -e` that prints what the socket answers; for drivers whose sandbox has node. */
const nodeReads = (socket: string) => `node -e 'require("net").connect(process.argv[1]).on("data", (d) => process.stdout.write(d))' ${socket}`;

interface Case {
  requirement: Requirement;
  makeDriver(): SandboxDriver;
  /** Where the directory shows inside, given its host path. */
  inside(hostDir: string): string;
  /** A command that prints what the socket at the path answers, when the sandbox can talk to one. */
  reads?(socket: string): string;
}

let groups: TempDir;
beforeAll(async () => {
  groups = await tempDir("pushpals-model-socket-groups-");
});
afterAll(async () => {
  await groups.remove();
});

const docker = { image: "localhost/pushpals-busybox:latest", network: "none", cpus: 0.5, memoryMb: 128, pidsLimit: 64 };
const cases: Record<string, Case> = {
  process: {
    requirement: { name: "the process driver", available: true, howToGet: "" },
    makeDriver: () => createProcessDriver({ groupsDir: groups.path }),
    inside: (host) => host,
    reads: nodeReads,
  },
  bwrap: {
    requirement: { name: "bubblewrap (bwrap)", available: await createBwrapDriver().available(), howToGet: INSTALL_BWRAP_HINT },
    makeDriver: () => createBwrapDriver(),
    inside: () => "/run/pushpals",
    reads: nodeReads,
  },
  docker: {
    requirement: {
      name: "a container engine with the Docker API (DOCKER_HOST)",
      available: await createDockerDriver(docker).available(),
      howToGet: 'run eval "$(bash scripts/container-engine.sh)" (podman serving the Docker Engine API) or start Docker',
    },
    makeDriver: () => createDockerDriver(docker),
    // busybox has no client for unix sockets; the bridge needs node, which it lacks too.
    inside: () => "/run/pushpals",
  },
};

for (const [name, { requirement, makeDriver, inside, reads }] of Object.entries(cases)) {
  describeIfAvailable(`${name} sandbox with a model socket`, requirement, () => {
    let workspace: Workspace;
    let sandbox: Sandbox;
    let server: Server;
    beforeAll(async () => {
      workspace = await makeWorkspace();
      sandbox = await makeDriver().start({
        jobId: newId("job"),
        owner: `model-socket-${name}`,
        worktree: workspace.worktree,
        env: { PATH: SANDBOX_PATH, HOME: "/tmp" },
        modelSocket: true,
      });
      server = createServer((socket) => socket.end(GREETING));
      await new Promise<void>((resolve) => server.listen(join(sandbox.modelSocket!.hostDir, "test.sock"), resolve));
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
      await sandbox?.stop();
      await workspace?.dir.remove();
    });

    it("has a private host directory (mode 0700) short enough for a socket path, seen inside where the sandbox says", () => {
      const dir = sandbox.modelSocket!;
      expect(dir.hostDir.startsWith(tmpdir())).toBe(true);
      expect(statSync(dir.hostDir).mode & 0o777).toBe(0o700);
      expect(Buffer.byteLength(join(dir.hostDir, "model.sock"))).toBeLessThan(107);
      expect(dir.dir).toBe(inside(dir.hostDir));
    });

    it("lets a command inside use the socket, but not write the directory", async () => {
      const socket = `${sandbox.modelSocket!.dir}/test.sock`;
      const seen = await collect(sandbox.exec(`test -S ${socket} && echo is-a-socket`));
      expect(seen.stdout).toBe("is-a-socket\n");
      if (reads) {
        const read = await collect(sandbox.exec(reads(socket)));
        expect(read.stdout, read.stderr).toBe(GREETING);
      }
      if (name !== "process") {
        const write = await collect(sandbox.exec(`touch ${sandbox.modelSocket!.dir}/planted; rm -f ${socket}`));
        expect(write.result.exitCode).not.toBe(0);
        expect(existsSync(join(sandbox.modelSocket!.hostDir, "planted"))).toBe(false);
        expect(statSync(join(sandbox.modelSocket!.hostDir, "test.sock")).isSocket()).toBe(true);
      }
    });

    it("refuses a spec that asks for the network too, naming the field", async () => {
      const caught = await makeDriver()
        .start({ jobId: newId("job"), owner: `model-socket-${name}`, worktree: workspace.worktree, env: {}, modelSocket: true, network: true })
        .catch((error: unknown) => error);
      expect(caught).toBeInstanceOf(ConnectError);
      expect((caught as ConnectError).code).toBe(Code.InvalidArgument);
      expect((caught as ConnectError).rawMessage).toMatch(/^spec\.network: must be off in a sandbox with a model socket: an agent sandbox never gets the host network/);
    });

    it("removes the directory when it stops", async () => {
      const other = await makeDriver().start({ jobId: newId("job"), owner: `model-socket-${name}`, worktree: workspace.worktree, env: {}, modelSocket: true });
      const hostDir = other.modelSocket!.hostDir;
      expect(existsSync(hostDir)).toBe(true);
      await other.stop();
      expect(existsSync(hostDir)).toBe(false);
    });
  });
}

it("bwrap binds the model directory read-only, after the worktree and the git mounts", () => {
  const args = bwrapArgs({
    system: [],
    worktree: "/host/worktree",
    git: [{ host: "/host/repo/.git", target: "/host/repo/.git", readOnly: true }],
    limits: { tmpMb: 16, rlimits: {} },
    modelMounts: [
      { host: "/tmp/pp-abc123", target: "/run/pushpals", readOnly: true },
      { host: "/opt/node/bin/node", target: "/opt/node/bin/node", readOnly: true },
    ],
    env: {},
    cwd: "",
    network: false,
    infoFd: 3,
    command: "true",
  });
  const joined = args.join(" ");
  expect(joined).toContain(
    `--bind /host/worktree ${BWRAP_WORKDIR} --ro-bind /host/repo/.git /host/repo/.git --ro-bind /tmp/pp-abc123 /run/pushpals --ro-bind /opt/node/bin/node /opt/node/bin/node --remount-ro /`,
  );
  expect(args).not.toContain("--share-net");
});

it("bwrap binds the runner's node binary for the bridge only when the system directories do not hold it", async () => {
  const workspace = await makeWorkspace();
  try {
    const spec = { jobId: newId("job"), owner: "model-socket-node", worktree: workspace.worktree, env: {}, modelSocket: true };
    const bare = (await bwrapModelSocket(spec, []))!;
    const node = bare.socket.node!;
    expect(bare.mounts).toEqual([
      { host: bare.socket.hostDir, target: "/run/pushpals", readOnly: true },
      { host: node, target: node, readOnly: true },
    ]);
    await bare.remove();
    expect(existsSync(bare.socket.hostDir)).toBe(false);

    // This host's node is under a system directory (it is /usr/bin/node in CI): nothing extra.
    const system = await systemEntries();
    const covered = system.some((entry) => !("mask" in entry) && entry.symlink === undefined && node.startsWith(`${entry.path}/`));
    const usual = (await bwrapModelSocket(spec, system))!;
    expect(usual.mounts).toHaveLength(covered ? 1 : 2);
    await usual.remove();
  } finally {
    await workspace.dir.remove();
  }
});
