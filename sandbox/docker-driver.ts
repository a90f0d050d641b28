import { randomBytes } from "node:crypto";
import { failedPrecondition } from "../shared/errors.js";
import { silentLogger, type Logger } from "../shared/log.js";
import { DOCKER_WORKDIR, execInContainer, type ContainerTarget } from "./docker/container-exec.js";
import { EngineError, createEngineClient, type EngineClient } from "./docker/engine-client.js";
import { containerList, createdObject } from "./docker/engine-answers.js";
import type { Sandbox, SandboxDriver, SandboxSpec } from "./driver.js";
import { gitMounts } from "./git-mounts.js";
import { sandboxLifecycle } from "./lifecycle.js";
import { checkModelSocketSpec, hostModelDir, SANDBOX_MODEL_DIR, type HostModelDir } from "./model-socket-dir.js";
import { sharedWorktreeCopies } from "./shared-worktree.js";
import { sandboxLog } from "./sandbox-log.js";
import { validateExec, validateSpec } from "./validate.js";

export { DOCKER_WORKDIR } from "./docker/container-exec.js";

export const OWNER_LABEL = "pushpals.owner";
export const JOB_LABEL = "pushpals.job";

export interface DockerDriverOptions {
  /** The config's runner.docker section. */
  image: string;
  /**
   * The network of sandboxes whose spec asks for one (integration checks the operator allows
   * it, never agent sandboxes); "none" refuses them.
   */
  network: string;
  /** The network of a job's setup phase (spec.phase "setup"); "none" refuses setup with network. Default "bridge". */
  setupNetwork?: string;
  cpus: number;
  memoryMb: number;
  pidsLimit: number;
  /** The size of the container's /tmp (RAM-backed); 0 or absent: only memoryMb bounds it. */
  tmpMb?: number;
  /** Defaults to DOCKER_HOST, else unix:///var/run/docker.sock. */
  dockerHost?: string;
  logger?: Logger;
}

/**
 * One container per job on a Docker Engine API (Docker, or podman's compatible service): the
 * worktree bind-mounted at /workspace, no network unless asked (an agent sandbox never is; its
 * model socket's directory is bind-mounted at /run/pushpals instead), CPU/memory/pids limits, no
 * capabilities, a read-only root with a private /tmp. The container only sleeps; each command
 * is an exec (see docker/exec-scripts.ts for how its tree is killed). Labels name the owner and
 * job so sweep() finds what a crashed runner left.
 */
export function createDockerDriver(options: DockerDriverOptions): SandboxDriver {
  const logger = (options.logger ?? silentLogger).child({ driver: "docker" });
  const engine = createEngineClient(options.dockerHost);
  return {
    name: "docker",
    available: () => engine.ping(),
    start: (spec, signal) => startContainer(engine, options, spec, signal, logger),
    async sweep(owner) {
      const filters = encodeURIComponent(JSON.stringify({ label: [`${OWNER_LABEL}=${owner}`] }));
      const containers = await engine.read(containerList, "GET", `/containers/json?all=true&filters=${filters}`);
      for (const container of containers) await removeContainer(engine, container.Id);
      if (containers.length > 0) logger.warn({ owner, removed: containers.length }, "removed containers a previous runner left behind");
      return containers.length;
    },
  };
}

async function startContainer(engine: EngineClient, options: DockerDriverOptions, spec: SandboxSpec, signal: AbortSignal | undefined, logger: Logger): Promise<Sandbox> {
  validateSpec(spec);
  checkModelSocketSpec(spec);
  const network = sandboxNetwork(options, spec);
  if (spec.network && network === "none") {
    const key = spec.phase === "setup" ? "runner.docker.setup_network" : "runner.docker.network";
    throw failedPrecondition(`job ${spec.jobId} asks for network access but ${key} is "none"; set it to a Docker network (e.g. "bridge") to allow it`);
  }
  const image = spec.image || options.image;
  const log = sandboxLog(logger, "docker", spec);
  const startedAt = performance.now();
  const git = await gitMounts(spec.worktree, DOCKER_WORKDIR);
  const model = await hostModelDir(spec);
  const limits = {
    cpus: spec.limits?.cpus ?? options.cpus,
    memoryMb: spec.limits?.memoryMb ?? options.memoryMb,
    pids: spec.limits?.pids ?? options.pidsLimit,
  };
  const memory = Math.round(limits.memoryMb * 1024 * 1024);
  log.info({ image, network, phase: spec.phase, limits, engine: engine.host }, "creating container");
  const name = `pushpals-${spec.jobId}-${randomBytes(3).toString("hex")}`;
  const created = await engine
    .read(createdObject, "POST", `/containers/create?name=${encodeURIComponent(name)}`, {
      Image: image,
      Entrypoint: ["sleep"],
      Cmd: ["2147483647"],
      WorkingDir: DOCKER_WORKDIR,
      Env: [],
      Labels: { [OWNER_LABEL]: spec.owner, [JOB_LABEL]: spec.jobId },
      HostConfig: {
        // An init reaps the orphans of killed commands, so they never count against PidsLimit.
        Init: true,
        NetworkMode: network,
        NanoCpus: Math.round(limits.cpus * 1e9),
        Memory: memory,
        MemorySwap: memory,
        PidsLimit: Math.round(limits.pids),
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        ReadonlyRootfs: true,
        Tmpfs: { "/tmp": options.tmpMb ? `rw,nosuid,nodev,size=${options.tmpMb}m` : "rw,nosuid,nodev" },
        Mounts: [
          { Type: "bind", Source: spec.worktree, Target: DOCKER_WORKDIR, ReadOnly: false },
          ...git.map((mount) => ({ Type: "bind", Source: mount.host, Target: mount.target, ReadOnly: mount.readOnly })),
          ...modelSocketMounts(model),
        ],
      },
    })
    .catch(async (error: unknown) => {
      await model?.remove();
      if (error instanceof EngineError && error.status === 404) {
        throw failedPrecondition(
          `image ${image} is not on the container engine at ${engine.host} (${error.message}); pull or build it first (the default image: bash scripts/container-engine.sh)`,
        );
      }
      throw error;
    });
  const containerId = created.Id;
  try {
    signal?.throwIfAborted();
    await engine.call("POST", `/containers/${containerId}/start`, undefined, signal);
  } catch (error) {
    await removeContainer(engine, containerId).catch(() => {});
    await model?.remove();
    throw error;
  }
  const clog = log.child({ containerId: containerId.slice(0, 12) });
  clog.info({ ms: Math.round(performance.now() - startedAt) }, "container started");

  const lifecycle = sandboxLifecycle(`docker sandbox of job ${spec.jobId}`);
  let restarting: Promise<void> = Promise.resolve();
  const target: ContainerTarget = {
    engine,
    containerId,
    logger: clog,
    removing: () => lifecycle.stopped,
    restart: () => (restarting = engine.call("POST", `/containers/${containerId}/restart?t=0`)),
    // The next command waits for a restart under way instead of being refused mid-restart.
    settled: () => restarting.catch(() => undefined),
  };
  return {
    id: containerId,
    workdir: DOCKER_WORKDIR,
    // Whether the image has node is for the agent to find out: busybox has none.
    ...(model ? { modelSocket: { hostDir: model.path, dir: SANDBOX_MODEL_DIR } } : {}),
    exec(command, execOptions = {}) {
      const checked = validateExec(command, execOptions, spec.env, spec.worktree);
      return lifecycle.track(execInContainer(target, checked, lifecycle.admit(checked.signal)));
    },
    ...sharedWorktreeCopies(spec.worktree, "docker", clog),
    async stop() {
      const first = await lifecycle.stop(() => removeContainer(engine, containerId));
      if (first) clog.info("container removed");
      await model?.remove();
    },
  };
}

/** Only a spec asking for network gets one: the setup phase its own, integration checks the operator's. */
function sandboxNetwork(options: DockerDriverOptions, spec: SandboxSpec): string {
  if (!spec.network) return "none";
  return spec.phase === "setup" ? (options.setupNetwork ?? "bridge") : options.network;
}

/** The model socket's directory, read-only (a socket in it still takes connections). */
function modelSocketMounts(model: HostModelDir | undefined) {
  return model ? [{ Type: "bind", Source: model.path, Target: SANDBOX_MODEL_DIR, ReadOnly: true }] : [];
}

/** Force-removes a container (and its anonymous volumes); one that is already gone is fine. */
async function removeContainer(engine: EngineClient, containerId: string): Promise<void> {
  try {
    await engine.call("DELETE", `/containers/${containerId}?force=true&v=true`);
  } catch (error) {
    if (error instanceof EngineError && error.status === 404) return;
    throw error;
  }
}
