import { lstat, readlink } from "node:fs/promises";
import { posix } from "node:path";
import type { Mount } from "./git-mounts.js";
import { ulimitLines, type Rlimits } from "./rlimits.js";

/** Where the worktree appears inside a bwrap sandbox. */
export const BWRAP_WORKDIR = "/workspace";

/** Host directories a command needs to find its tools, all read-only. */
const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

/**
 * Secrets that live under the system directories, hidden behind an empty file or directory:
 * the command runs as the runner's user, who may be able to read them.
 */
const MASKED_PATHS = ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/ssh", "/etc/ssl/private", "/etc/sudoers", "/etc/sudoers.d"];

export type SystemEntry = { path: string; symlink?: string } | { path: string; mask: "file" | "dir" };

/** The host's system directories as they are (merged-/usr hosts have /bin etc. as symlinks). */
export async function systemEntries(): Promise<SystemEntry[]> {
  const entries: SystemEntry[] = [];
  for (const path of SYSTEM_PATHS) {
    const stat = await lstat(path).catch(() => undefined);
    if (stat?.isSymbolicLink()) entries.push({ path, symlink: await readlink(path) });
    else if (stat?.isDirectory()) entries.push({ path });
  }
  for (const path of MASKED_PATHS) {
    const stat = await lstat(path).catch(() => undefined);
    if (stat?.isDirectory()) entries.push({ path, mask: "dir" });
    else if (stat?.isFile()) entries.push({ path, mask: "file" });
  }
  return entries;
}

export interface BwrapPlan {
  system: SystemEntry[];
  worktree: string;
  git: Mount[];
  env: Record<string, string>;
  /** Relative to the workspace root. */
  cwd: string;
  network: boolean;
  /** Read-only mounts for the runner's model socket: its directory, and node when outside the system paths. */
  modelMounts?: Mount[];
  /** The fd bwrap writes {"child-pid": N} to. */
  infoFd: number;
  command: string;
  limits: BwrapLimits;
}

/**
 * The root is an empty tmpfs made read-only at the end; on it: the system directories
 * read-only, a private /proc, /dev and /tmp, the worktree at /workspace and the git mounts.
 * Every namespace is new (no network unless asked), all capabilities are dropped, the sandbox
 * dies with the runner, and the environment is exactly `env`.
 */
export function bwrapArgs(plan: BwrapPlan): string[] {
  const args = ["--unshare-all"];
  if (plan.network) args.push("--share-net");
  args.push("--cap-drop", "ALL", "--die-with-parent", "--new-session", "--info-fd", String(plan.infoFd));
  for (const entry of plan.system) {
    if ("mask" in entry) args.push(...(entry.mask === "dir" ? ["--tmpfs", entry.path] : ["--ro-bind", "/dev/null", entry.path]));
    else if (entry.symlink !== undefined) args.push("--symlink", entry.symlink, entry.path);
    else args.push("--ro-bind", entry.path, entry.path);
  }
  // /tmp before the git mounts: a repository under the host's /tmp must not be hidden by it.
  args.push("--proc", "/proc", "--dev", "/dev", ...scratchLimitArgs(plan.system, plan.limits));
  args.push("--bind", plan.worktree, BWRAP_WORKDIR);
  for (const mount of plan.git) args.push(mount.readOnly ? "--ro-bind" : "--bind", mount.host, mount.target);
  args.push(...modelMountArgs(plan.modelMounts ?? []));
  args.push("--remount-ro", "/", "--clearenv");
  for (const [name, value] of Object.entries(plan.env)) args.push("--setenv", name, value);
  args.push("--chdir", posix.join(BWRAP_WORKDIR, plan.cwd), ...limitedCommand(plan.limits.rlimits, plan.command));
  return args;
}

/**
 * Read-only, like the rest: a read-only mount refuses changes to files and directories, not a
 * connect to a unix socket in it, so the CLI can use the socket but not replace it.
 */
function modelMountArgs(mounts: readonly Mount[]): string[] {
  return mounts.flatMap((mount) => ["--ro-bind", mount.host, mount.target]);
}

export interface BwrapLimits {
  /** The size of /tmp and of /dev/shm, each; 0: not capped (only a memory cgroup bounds them). */
  tmpMb: number;
  /** Set inside the sandbox, after bwrap made its user namespace (so RLIMIT_NPROC counts only the sandbox). */
  rlimits: Rlimits;
}

/**
 * Every place a command could fill with RAM is bounded: /tmp and /dev/shm are tmpfs of tmpMb
 * each, and the other tmpfs (bwrap's /dev, the masks over secrets) are read-only, so files
 * cannot be made there (device nodes stay usable).
 */
export function scratchLimitArgs(system: SystemEntry[], limits: BwrapLimits): string[] {
  const sized = (path: string) => (limits.tmpMb > 0 ? ["--size", String(limits.tmpMb * 1024 * 1024), "--tmpfs", path] : ["--tmpfs", path]);
  const masks = system.flatMap((entry) => ("mask" in entry && entry.mask === "dir" ? ["--remount-ro", entry.path] : []));
  return [...sized("/tmp"), ...sized("/dev/shm"), "--remount-ro", "/dev", ...masks];
}

/** `sh -c command`, under the rlimits when there are any. */
export function limitedCommand(rlimits: Rlimits, command: string): string[] {
  const lines = ulimitLines(rlimits);
  if (lines === "") return ["/bin/sh", "-c", command];
  return ["/bin/sh", "-c", `${lines}\nexec /bin/sh -c "$1"`, "pushpals-limits", command];
}
