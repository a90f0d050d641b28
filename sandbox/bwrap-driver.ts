import { execFile, type ChildProcess } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { failedPrecondition } from "../shared/errors.js";
import { silentLogger, type Logger } from "../shared/log.js";
import { BWRAP_WORKDIR, bwrapArgs, systemEntries, type SystemEntry } from "./bwrap-args.js";
import { bwrapModelSocket } from "./bwrap-model-socket.js";
import { cgroupSupport, type CgroupProbe } from "./cgroup/probe.js";
import { containJob, sweepContainment } from "./containment.js";
import type { Sandbox, SandboxDriver, SandboxSpec } from "./driver.js";
import { gitMounts } from "./git-mounts.js";
import { HOST_LIMIT_DEFAULTS, jobLimits, type HostLimits } from "./host-limits.js";
import { runOnHost } from "./host-execution.js";
import { launched } from "./launcher.js";
import { sandboxLifecycle } from "./lifecycle.js";
import { sharedWorktreeCopies } from "./shared-worktree.js";
import { sandboxLog } from "./sandbox-log.js";
import { validateExec, validateSpec } from "./validate.js";

const run = promisify(execFile);
const INFO_FD = 3;

export interface BwrapDriverOptions {
  logger?: Logger;
  /** Defaults to `bwrap` found on PATH. */
  bwrapPath?: string;
  /** runner.bwrap's limits; defaults to the config's defaults. */
  limits?: HostLimits;
  /** What this host offers; defaults to the probe (tests force { usable: false }). */
  cgroups?: CgroupProbe;
}

export const INSTALL_BWRAP_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) and make sure user namespaces are allowed";

/**
 * bubblewrap on the host: each command gets fresh namespaces (pid, net, mount, ipc, uts, user
 * where allowed), a read-only system, only the worktree (and a private /tmp) writable, no
 * capabilities and no network. bwrap is the init of the command's pid namespace, so when the
 * command ends, or that init is killed, the kernel kills everything left in it; with
 * --die-with-parent the same happens if the runner dies. Limits: /tmp and /dev/shm are sized
 * tmpfs, the file size (and, inside the sandbox's user namespace, the process count) are
 * rlimits, and a job cgroup holds pids.max and the memory limit where the host lets the runner
 * make one (else the address space rlimit stands in for memory, and says so in the log).
 */
export function createBwrapDriver(options: BwrapDriverOptions = {}): SandboxDriver {
  const logger = (options.logger ?? silentLogger).child({ driver: "bwrap" });
  let probe: Promise<string | undefined> | undefined;
  let system: Promise<SystemEntry[]> | undefined;
  /** The bwrap binary when it can make a sandbox on this machine. */
  const usable = () => (probe ??= probeBwrap(options.bwrapPath, logger));
  const limits = options.limits ?? HOST_LIMIT_DEFAULTS;
  const cgroups = () => (options.cgroups ? Promise.resolve(options.cgroups) : cgroupSupport());

  return {
    name: "bwrap",
    available: async () => (await usable()) !== undefined,
    async start(spec: SandboxSpec, signal?: AbortSignal): Promise<Sandbox> {
      validateSpec(spec);
      const bwrap = await usable();
      if (bwrap === undefined) throw failedPrecondition(`the bwrap sandbox cannot run on this machine; ${INSTALL_BWRAP_HINT}`);
      signal?.throwIfAborted();
      const log = sandboxLog(logger, "bwrap", spec);
      if (spec.limits?.cpus !== undefined) log.warn({ cpus: spec.limits.cpus }, "bwrap does not limit cpu; use the docker driver where that matters");
      const [entries, git] = await Promise.all([(system ??= systemEntries()), gitMounts(spec.worktree, BWRAP_WORKDIR)]);
      const model = await bwrapModelSocket(spec, entries);
      const wanted = jobLimits(spec, limits);
      const containment = await containJob({ cgroups: await cgroups(), owner: spec.owner, jobId: spec.jobId, limits: wanted, fallback: "none", logger: log });
      const sandboxLimits = {
        tmpMb: limits.tmpMb,
        rlimits: {
          fileSizeMb: limits.fileSizeMb,
          processes: wanted.pids,
          // Address space is a crude stand-in for memory, used only where the cgroup cannot count it.
          ...(containment.enforced.memoryMb === undefined ? { addressSpaceMb: wanted.memoryMb } : {}),
        },
      };
      const lifecycle = sandboxLifecycle(`bwrap sandbox of job ${spec.jobId}`);
      log.info(
        {
          worktree: spec.worktree,
          gitMounts: git.length,
          network: spec.network === true,
          modelSocket: model?.socket.hostDir,
          cgroup: containment.tracking,
          enforced: containment.enforced,
          ...sandboxLimits,
        },
        "bwrap sandbox ready",
      );
      return {
        id: `bwrap-${spec.jobId}`,
        workdir: BWRAP_WORKDIR,
        ...(model ? { modelSocket: model.socket } : {}),
        exec(command, execOptions = {}) {
          const checked = validateExec(command, execOptions, spec.env, spec.worktree);
          const signal = lifecycle.admit(checked.signal);
          const args = bwrapArgs({
            system: entries,
            worktree: spec.worktree,
            git,
            env: checked.env,
            cwd: checked.cwd,
            network: spec.network === true,
            ...(model ? { modelMounts: model.mounts } : {}),
            infoFd: INFO_FD,
            command: checked.command,
            limits: sandboxLimits,
          });
          const sandboxInit = new WeakMap<ChildProcess, number>();
          const member = containment.command();
          return lifecycle.track(
            runOnHost(
              // bwrap itself gets no environment: the runner's secrets must not reach its /proc entry.
              launched({ file: bwrap, args, cwd: spec.worktree, env: {}, stdin: checked.stdin, extraPipes: 1 }, { procsFiles: member.procsFiles, rlimits: {} }),
              { timeoutMs: checked.timeoutMs, signal },
              {
                spawned: (child) => readChildPid(child, (pid) => sandboxInit.set(child, pid)),
                // The pid namespace's init and the command share a process group; killing the init
                // (SIGKILL) ends the namespace. Before bwrap has said who that is, kill bwrap itself,
                // whose death takes the namespace with it (--die-with-parent).
                groups: (child) => [sandboxInit.get(child) ?? child.pid!],
                // The pid namespace ended with bwrap; the cgroup is emptied and removed all the same.
                exited: () => member.end(),
              },
              log,
            ),
          );
        },
        ...sharedWorktreeCopies(spec.worktree, "bwrap", log),
        async stop() {
          const first = await lifecycle.stop();
          await containment.close();
          await model?.remove();
          if (first) log.info("bwrap sandbox stopped");
        },
      };
    },
    // --die-with-parent leaves no process behind a crashed runner; its empty job cgroups remain.
    async sweep(owner) {
      return (await sweepContainment(await cgroups(), owner, false)).size;
    },
  };
}

/** bwrap writes {"child-pid": N, ...} to the info fd once the sandbox's init exists. */
function readChildPid(child: ChildProcess, found: (pid: number) => void): void {
  const info = child.stdio[INFO_FD];
  if (!(info instanceof Readable)) return;
  let text = "";
  info.setEncoding("utf8");
  info.on("data", (data: string) => {
    text += data;
    const pid = /"child-pid"\s*:\s*(\d+)/.exec(text)?.[1];
    if (pid) found(Number(pid));
  });
}

async function probeBwrap(configured: string | undefined, logger: Logger): Promise<string | undefined> {
  const bwrap = configured ?? (await onPath("bwrap"));
  if (!bwrap) {
    logger.debug("bwrap is not on PATH");
    return undefined;
  }
  try {
    await run(bwrap, ["--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--ro-bind", "/", "/", "/bin/true"], { timeout: 10_000, env: {} });
    return bwrap;
  } catch (error) {
    logger.warn({ bwrap, error: (error as Error).message }, "bwrap is installed but cannot create a sandbox here");
    return undefined;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(delimiter)) {
    const candidate = join(dir, name);
    if (
      dir &&
      (await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      return candidate;
  }
  return undefined;
}
