import { execFile, type ChildProcess } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { failedPrecondition } from "../../services/kernel/errors.js";
import { silentLogger, type Logger } from "../../services/kernel/log.js";
import { BWRAP_WORKDIR, bwrapArgs, systemEntries, type SystemEntry } from "./bwrap-args.js";
import { bwrapModelSocket } from "./bwrap-model-socket.js";
import type { Sandbox, SandboxDriver, SandboxSpec } from "./driver.js";
import { gitMounts } from "./git-mounts.js";
import { runOnHost } from "./host-execution.js";
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
}

export const INSTALL_BWRAP_HINT =
  "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) and make sure user namespaces are allowed";

/**
 * bubblewrap on the host: each command gets fresh namespaces (pid, net, mount, ipc, uts, user
 * where allowed), a read-only system, only the worktree (and a private /tmp) writable, no
 * capabilities and no network. bwrap is the init of the command's pid namespace, so when the
 * command ends, or that init is killed, the kernel kills everything left in it; with
 * --die-with-parent the same happens if the runner dies, which is why sweep() finds nothing.
 * Resource limits are not enforced here (use docker for those).
 */
export function createBwrapDriver(options: BwrapDriverOptions = {}): SandboxDriver {
  const logger = (options.logger ?? silentLogger).child({ driver: "bwrap" });
  let probe: Promise<string | undefined> | undefined;
  let system: Promise<SystemEntry[]> | undefined;
  /** The bwrap binary when it can make a sandbox on this machine. */
  const usable = () => (probe ??= probeBwrap(options.bwrapPath, logger));

  return {
    name: "bwrap",
    available: async () => (await usable()) !== undefined,
    async start(spec: SandboxSpec, signal?: AbortSignal): Promise<Sandbox> {
      validateSpec(spec);
      const bwrap = await usable();
      if (bwrap === undefined) throw failedPrecondition(`the bwrap sandbox cannot run on this machine; ${INSTALL_BWRAP_HINT}`);
      signal?.throwIfAborted();
      const log = sandboxLog(logger, "bwrap", spec);
      if (spec.limits && Object.keys(spec.limits).length > 0) {
        log.warn({ limits: spec.limits }, "bwrap cannot enforce cpu/memory/pids limits; use the docker driver where limits matter");
      }
      const [entries, git] = await Promise.all([(system ??= systemEntries()), gitMounts(spec.worktree, BWRAP_WORKDIR)]);
      const model = await bwrapModelSocket(spec, entries);
      const lifecycle = sandboxLifecycle(`bwrap sandbox of job ${spec.jobId}`);
      log.info({ worktree: spec.worktree, gitMounts: git.length, network: spec.network === true, modelSocket: model?.socket.hostDir }, "bwrap sandbox ready");
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
          });
          const sandboxInit = new WeakMap<ChildProcess, number>();
          return lifecycle.track(
            runOnHost(
              // bwrap itself gets no environment: the runner's secrets must not reach its /proc entry.
              { file: bwrap, args, cwd: spec.worktree, env: {}, stdin: checked.stdin, extraPipes: 1 },
              { timeoutMs: checked.timeoutMs, signal },
              {
                spawned: (child) => readChildPid(child, (pid) => sandboxInit.set(child, pid)),
                // The pid namespace's init and the command share a process group; killing the init
                // (SIGKILL) ends the namespace. Before bwrap has said who that is, kill bwrap itself,
                // whose death takes the namespace with it (--die-with-parent).
                groups: (child) => [sandboxInit.get(child) ?? child.pid!],
                exited: () => {},
              },
              log,
            ),
          );
        },
        ...sharedWorktreeCopies(spec.worktree, "bwrap", log),
        async stop() {
          if (await lifecycle.stop()) log.info("bwrap sandbox stopped");
          await model?.remove();
        },
      };
    },
    async sweep() {
      return 0;
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
    if (dir && (await access(candidate, constants.X_OK).then(() => true, () => false))) return candidate;
  }
  return undefined;
}
