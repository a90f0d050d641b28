import { join } from "node:path";
import { failedPrecondition } from "../shared/errors.js";
import { silentLogger, type Logger } from "../shared/log.js";
import { cgroupSupport, type CgroupProbe } from "./cgroup/probe.js";
import { containJob, sweepContainment } from "./containment.js";
import type { ModelSocketDir, Sandbox, SandboxDriver, SandboxSpec } from "./driver.js";
import { HOST_LIMIT_DEFAULTS, jobLimits, type HostLimits } from "./host-limits.js";
import { runOnHost } from "./host-execution.js";
import { signalGroup } from "./kill.js";
import { launched } from "./launcher.js";
import { sandboxLifecycle } from "./lifecycle.js";
import { hostModelDir, type HostModelDir } from "./model-socket-dir.js";
import { defaultGroupsDir, groupRecords, sweepGroups, type GroupRecords } from "./process-groups.js";
import { sharedWorktreeCopies } from "./shared-worktree.js";
import { sandboxLog } from "./sandbox-log.js";
import { validateExec, validateSpec } from "./validate.js";

export interface ProcessDriverOptions {
  logger?: Logger;
  /** Where running process groups are recorded for sweep(); tests pass their own. */
  groupsDir?: string;
  /** runner.bwrap's limits (the host drivers share them); defaults to the config's defaults. */
  limits?: HostLimits;
  /** What this host offers; defaults to the probe (tests force the fallback with { usable: false }). */
  cgroups?: CgroupProbe;
}

/**
 * No isolation: commands run as `/bin/sh -c` on the host, in the worktree, with only the
 * sandbox's environment. For trusted local use and tests. Each command leads its own process
 * group (a timeout or abort kills the group) inside its own cgroup under the job's, which
 * carries the pids and memory limits; when the command exits, everything left in its cgroup is
 * killed: background jobs, setsid and double-fork survivors. Where no cgroup can be made, a
 * marker variable in the environment finds them instead (a program started with a cleared
 * environment escapes that: use bwrap).
 */
export function createProcessDriver(options: ProcessDriverOptions = {}): SandboxDriver {
  const logger = (options.logger ?? silentLogger).child({ driver: "process" });
  const groupsDir = options.groupsDir ?? defaultGroupsDir();
  const limits = options.limits ?? HOST_LIMIT_DEFAULTS;
  const cgroups = () => (options.cgroups ? Promise.resolve(options.cgroups) : cgroupSupport());
  return {
    name: "process",
    available: async () => true,
    async start(spec: SandboxSpec, signal?: AbortSignal): Promise<Sandbox> {
      validateSpec(spec);
      signal?.throwIfAborted();
      const log = sandboxLog(logger, "process", spec);
      const wanted = jobLimits(spec, limits);
      const containment = await containJob({ cgroups: await cgroups(), owner: spec.owner, jobId: spec.jobId, limits: wanted, fallback: "marker", logger: log });
      let records: GroupRecords;
      try {
        records = groupRecords(spec.owner, containment.sandboxId, groupsDir);
      } catch (error) {
        await containment.close();
        throw failedPrecondition(`could not record the sandbox's process groups in ${groupsDir} (${(error as Error).message}); make it writable or set another directory`);
      }
      // Losing a record only weakens a later sweep; it must not fail the command.
      const recordSafely = (write: () => void) => {
        try {
          write();
        } catch (error) {
          log.warn({ error: (error as Error).message, groupsDir }, "could not record the command's process group for sweep()");
        }
      };
      const model = await hostModelDir(spec);
      const rlimits = {
        fileSizeMb: limits.fileSizeMb,
        // Address space is a crude stand-in for memory, used only where the cgroup cannot count it.
        ...(containment.enforced.memoryMb === undefined ? { addressSpaceMb: wanted.memoryMb } : {}),
      };
      const lifecycle = sandboxLifecycle(`process sandbox of job ${spec.jobId}`);
      log.info(
        { worktree: spec.worktree, tracking: containment.tracking, enforced: containment.enforced, rlimits },
        "process sandbox ready (no isolation: no network, filesystem or secret protection)",
      );
      return {
        id: `process-${spec.jobId}`,
        workdir: spec.worktree,
        ...(model ? { modelSocket: processModelSocket(model) } : {}),
        exec(command, execOptions = {}) {
          const checked = validateExec(command, execOptions, spec.env, spec.worktree);
          const signal = lifecycle.admit(checked.signal);
          const member = containment.command();
          const host = { file: "/bin/sh", args: ["-c", checked.command], cwd: join(spec.worktree, checked.cwd), env: { ...checked.env, ...member.env }, stdin: checked.stdin };
          return lifecycle.track(
            runOnHost(
              launched(host, { procsFiles: member.procsFiles, rlimits }),
              { timeoutMs: checked.timeoutMs, signal },
              {
                spawned: (child) => recordSafely(() => records.add(child.pid!)),
                groups: (child) => [child.pid!],
                exited: async (child) => {
                  signalGroup(child.pid!, "SIGKILL");
                  await member.end();
                },
                closed: (child) => recordSafely(() => records.remove(child.pid!)),
              },
              log,
            ),
          );
        },
        ...sharedWorktreeCopies(spec.worktree, "process", log),
        async stop() {
          const first = await lifecycle.stop();
          await containment.close();
          await model?.remove();
          if (first) {
            recordSafely(() => records.close());
            log.info("process sandbox stopped");
          }
        },
      };
    },
    async sweep(owner) {
      const left = await sweepContainment(await cgroups(), owner, true);
      for (const sandboxId of sweepGroups(owner, groupsDir)) left.add(sandboxId);
      if (left.size > 0) logger.warn({ owner, sandboxes: left.size }, "killed what the process sandboxes of a previous runner left running");
      return left.size;
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
