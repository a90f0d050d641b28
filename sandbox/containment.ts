import { randomBytes } from "node:crypto";
import { failedPrecondition } from "../shared/errors.js";
import type { Logger } from "../shared/log.js";
import { createCgroup, openCgroup, type Cgroup } from "./cgroup/cgroup.js";
import type { CgroupProbe } from "./cgroup/probe.js";
import { jobCgroupName, sweepCgroups } from "./cgroup/sweep.js";
import { MARKER_VARIABLE, killMarked } from "./marked-processes.js";

/**
 * Which processes belong to one sandbox's commands, so that all of them die with their command
 * (setsid and double-fork survivors included) and certainly at stop(). A job cgroup where one
 * can be made (it also carries the job's pids and memory limits); else, for drivers that ask,
 * a marker variable in each command's environment; else nothing (bwrap, whose pid namespace
 * already ends with its command).
 */
export interface Containment {
  /** Names this sandbox in its cgroup, markers and records: "<job id>-<random>". */
  readonly sandboxId: string;
  /** "cgroup v1", "cgroup v2", "marker" or "none", for logs and tests. */
  readonly tracking: "cgroup v1" | "cgroup v2" | "marker" | "none";
  /** The limits the job cgroup enforces (absent: not enforced by a cgroup). */
  readonly enforced: { pids?: number; memoryMb?: number };
  /** The membership of one new command; throws a ConnectError when it cannot be set up. */
  command(): CommandContainment;
  /** Kills whatever is left of the sandbox's processes and removes its cgroup; safe to call twice. */
  close(): Promise<void>;
}

export interface CommandContainment {
  /** The launcher writes the command's pid to these before it runs (see launcher.ts). */
  readonly procsFiles: string[];
  /** Added to the command's environment (the marker, when that is the tracking). */
  readonly env: Record<string, string>;
  /** Kills every process the command started that is still alive. */
  end(): Promise<void>;
}

export interface ContainmentOptions {
  cgroups: CgroupProbe;
  owner: string;
  jobId: string;
  limits: { pids?: number; memoryMb?: number };
  /** What to do without a cgroup: the process driver marks, bwrap needs nothing. */
  fallback: "marker" | "none";
  logger: Logger;
}

const MB = 1024 * 1024;

export async function containJob(options: ContainmentOptions): Promise<Containment> {
  const sandboxId = `${options.jobId}-${randomBytes(4).toString("hex")}`;
  if (options.cgroups.usable) {
    const { support } = options.cgroups;
    const memoryBytes = options.limits.memoryMb ? Math.round(options.limits.memoryMb * MB) : undefined;
    const name = jobCgroupName(options.owner, sandboxId);
    try {
      const { cgroup, applied } = await createCgroup(support, name, { pids: options.limits.pids, memoryBytes });
      const enforced = { pids: applied.pids, memoryMb: applied.memoryBytes === undefined ? undefined : applied.memoryBytes / MB };
      const unenforced = Object.entries(options.limits).filter(([key, value]) => value !== undefined && enforced[key as keyof typeof enforced] === undefined);
      const log = { tracking: `cgroup v${support.version}`, cgroup: cgroup.name, enforced, ...(unenforced.length > 0 ? { unenforced: Object.fromEntries(unenforced) } : {}) };
      if (unenforced.length > 0)
        options.logger.warn(log, "the job cgroup cannot enforce every limit on this host (controller not delegated); the rest are not enforced by a cgroup");
      else options.logger.debug(log, "the sandbox's processes are tracked by a job cgroup");
      return cgroupContainment(sandboxId, cgroup, support.version, enforced);
    } catch (error) {
      // Whatever part was made (one hierarchy of several) must not be left behind.
      await openCgroup(support, name)
        .remove()
        .catch(() => {});
      options.logger.warn(
        { error: (error as Error).message },
        "could not make the job's cgroup although the probe could; the sandbox's processes are tracked without one and pids/memory limits are not enforced by a cgroup",
      );
    }
  } else {
    options.logger.warn(
      { reason: options.cgroups.reason, tracking: options.fallback },
      "no usable cgroup on this host: pids and memory limits are not enforced by a cgroup; run the runner as root or in a delegated cgroup (systemd: Delegate=yes) to have them",
    );
  }
  return options.fallback === "marker" ? markerContainment(options.owner, sandboxId) : noContainment(sandboxId);
}

function cgroupContainment(sandboxId: string, job: Cgroup, version: 1 | 2, enforced: Containment["enforced"]): Containment {
  let commands = 0;
  let closing: Promise<void> | undefined;
  return {
    sandboxId,
    tracking: version === 1 ? "cgroup v1" : "cgroup v2",
    enforced,
    command() {
      commands += 1;
      let member: Cgroup;
      try {
        member = job.child(`c${commands}`);
      } catch (error) {
        throw failedPrecondition(`could not make a cgroup for the command under ${job.name} (${(error as Error).message}); the sandbox may have been stopped, start a new one`);
      }
      return {
        procsFiles: member.procsFiles,
        env: {},
        async end() {
          await member.kill();
          // Every command may leave a zombie or two for init (bwrap does); only a spent budget is waited out.
          if (enforced.pids !== undefined) await job.reapedTo(Math.floor(enforced.pids / 2));
          await member.remove();
        },
      };
    },
    close: () =>
      (closing ??= (async () => {
        await job.kill();
        await job.remove();
      })()),
  };
}

/** Marker values: "<owner>/<sandbox id>/<command>"; "/" cannot occur in an owner or job id. */
function markerContainment(owner: string, sandboxId: string): Containment {
  const prefix = `${owner}/${sandboxId}/`;
  let commands = 0;
  let closing: Promise<void> | undefined;
  return {
    sandboxId,
    tracking: "marker",
    enforced: {},
    command() {
      commands += 1;
      const value = `${prefix}${commands}`;
      return {
        procsFiles: [],
        env: { [MARKER_VARIABLE]: value },
        end: async () => void (await killMarked((found) => found === value, `command ${value}`)),
      };
    },
    close: () => (closing ??= killMarked((found) => found.startsWith(prefix), `sandbox ${sandboxId}`).then(() => undefined)),
  };
}

function noContainment(sandboxId: string): Containment {
  return {
    sandboxId,
    tracking: "none",
    enforced: {},
    command: () => ({ procsFiles: [], env: {}, end: async () => {} }),
    close: async () => {},
  };
}

/** Kills and removes what the sandboxes of `owner` (a crashed runner) left; returns their sandbox ids. */
export async function sweepContainment(cgroups: CgroupProbe, owner: string, markers: boolean): Promise<Set<string>> {
  const left = new Set<string>(cgroups.usable ? await sweepCgroups(cgroups.support, owner) : []);
  if (markers) {
    const values = await killMarked((value) => value.startsWith(`${owner}/`), `the sandboxes of ${owner}`);
    for (const value of values) left.add(value.split("/")[1]!);
  }
  return left;
}
