import { join } from "node:path";
import { silentLogger, type Logger } from "../../services/kernel/log.js";
import type { ModelSocketDir, Sandbox, SandboxDriver, SandboxSpec } from "./driver.js";
import { runOnHost } from "./host-execution.js";
import { signalGroup } from "./kill.js";
import { sandboxLifecycle } from "./lifecycle.js";
import { hostModelDir, type HostModelDir } from "./model-socket-dir.js";
import { defaultGroupsDir, groupRecords, sweepGroups } from "./process-groups.js";
import { sharedWorktreeCopies } from "./shared-worktree.js";
import { sandboxLog } from "./sandbox-log.js";
import { validateExec, validateSpec } from "./validate.js";

export interface ProcessDriverOptions {
  logger?: Logger;
  /** Where running process groups are recorded for sweep(); tests pass their own. */
  groupsDir?: string;
}

/**
 * No isolation: commands run as `/bin/sh -c` on the host, in the worktree, with only the
 * sandbox's environment. For trusted local use and tests. Each command leads its own process
 * group; a timeout or abort kills the group, and whatever the command left running in the
 * background dies when it exits (a process that calls setsid itself escapes: nothing on the
 * host can stop that without isolation, use bwrap).
 */
export function createProcessDriver(options: ProcessDriverOptions = {}): SandboxDriver {
  const logger = (options.logger ?? silentLogger).child({ driver: "process" });
  const groupsDir = options.groupsDir ?? defaultGroupsDir();
  return {
    name: "process",
    available: async () => true,
    async start(spec: SandboxSpec, signal?: AbortSignal): Promise<Sandbox> {
      validateSpec(spec);
      signal?.throwIfAborted();
      const log = sandboxLog(logger, "process", spec);
      if (!spec.network || spec.limits) {
        log.debug("the process driver cannot cut the network or enforce limits; commands run with the runner's rights");
      }
      const records = groupRecords(spec.owner, groupsDir);
      // Losing a record only weakens a later sweep; it must not fail the command.
      const recordSafely = (write: () => void) => {
        try {
          write();
        } catch (error) {
          log.warn({ error: (error as Error).message, groupsDir }, "could not record the command's process group for sweep()");
        }
      };
      const model = await hostModelDir(spec);
      const lifecycle = sandboxLifecycle(`process sandbox of job ${spec.jobId}`);
      log.info({ worktree: spec.worktree }, "process sandbox ready (no isolation)");
      return {
        id: `process-${spec.jobId}`,
        workdir: spec.worktree,
        ...(model ? { modelSocket: processModelSocket(model) } : {}),
        exec(command, execOptions = {}) {
          const checked = validateExec(command, execOptions, spec.env, spec.worktree);
          const signal = lifecycle.admit(checked.signal);
          return lifecycle.track(
            runOnHost(
              { file: "/bin/sh", args: ["-c", checked.command], cwd: join(spec.worktree, checked.cwd), env: checked.env, stdin: checked.stdin },
              { timeoutMs: checked.timeoutMs, signal },
              {
                spawned: (child) => recordSafely(() => records.add(child.pid!)),
                groups: (child) => [child.pid!],
                exited: (child) => signalGroup(child.pid!, "SIGKILL"),
                closed: (child) => recordSafely(() => records.remove(child.pid!)),
              },
              log,
            ),
          );
        },
        ...sharedWorktreeCopies(spec.worktree, "process", log),
        async stop() {
          if (await lifecycle.stop()) log.info("process sandbox stopped");
          await model?.remove();
        },
      };
    },
    async sweep(owner) {
      const killed = sweepGroups(owner, groupsDir);
      if (killed > 0) logger.warn({ owner, killed }, "killed process groups a previous runner left behind");
      return killed;
    },
  };
}

/**
 * Nothing is isolated here, so the socket is where it is on the host and the bridge to it runs
 * on the host's loopback with the runner's own node: no worse than the commands themselves.
 */
function processModelSocket(model: HostModelDir): ModelSocketDir {
  return { hostDir: model.path, dir: model.path, node: process.execPath };
}
