/**
 * Resource limits set with the shell's `ulimit` in a wrapper (no extra binary needed: dash, bash,
 * busybox ash and mksh all have these flags, with these units, when started as sh). Both soft
 * and hard limits are set, so the command cannot raise them again.
 */
export interface Rlimits {
  /** RLIMIT_AS: binds root too; a crude memory bound for where no memory cgroup can be made. */
  addressSpaceMb?: number;
  /** RLIMIT_FSIZE: the largest file a command may write (past it, SIGXFSZ / EFBIG); binds root. */
  fileSizeMb?: number;
  /**
   * RLIMIT_NPROC: counts every process of the user, so only set inside a sandbox's own user
   * namespace, where that count is the sandbox's; it does not bind root (the cgroup does).
   */
  processes?: number;
}

/** Exit status of a wrapper that could not set up a command's limits or cgroup. */
export const SETUP_FAILED_EXIT_CODE = 125;

/** Shell lines that set the limits; a limit that cannot be set stops the command with a reason. */
export function ulimitLines(limits: Rlimits): string {
  const lines: string[] = [];
  const fail = (what: string, key: string) =>
    `{ echo "pushpals: could not set ${what} for this command: the runner's own hard limit is lower (ulimit -H -a); raise it or lower runner.bwrap.${key}" >&2; exit ${SETUP_FAILED_EXIT_CODE}; }`;
  // -f counts 512-byte blocks and -v KiB, in every POSIX-mode shell.
  if (limits.fileSizeMb) lines.push(`ulimit -f ${Math.round(limits.fileSizeMb * 2048)} || ${fail(`the file size limit (${limits.fileSizeMb} MB)`, "file_size_mb")}`);
  if (limits.addressSpaceMb) lines.push(`ulimit -v ${Math.round(limits.addressSpaceMb * 1024)} || ${fail(`the address space limit (${limits.addressSpaceMb} MB)`, "memory_mb")}`);
  // bash and busybox name it -u, dash and mksh -p; the cgroup is the real bound, so a shell with neither still runs.
  if (limits.processes) {
    const count = Math.round(limits.processes);
    lines.push(`ulimit -u ${count} 2>/dev/null || ulimit -p ${count} 2>/dev/null || :`);
  }
  return lines.join("\n");
}
