import type { HostCommand } from "./host-execution.js";
import { SETUP_FAILED_EXIT_CODE, ulimitLines, type Rlimits } from "./rlimits.js";

/**
 * The host side of every command of the process and bwrap drivers: `/bin/sh` writes its own pid
 * to the cgroup.procs files first (so the command, and all it starts, are members from their
 * first instruction: no window in which a fork escapes), sets the rlimits, then execs the
 * command in its own place (same pid, so the driver's process group and pipes are unchanged).
 * Args: $1 how many procs files, then the files, then the command's file and args.
 */
const LAUNCH_SCRIPT = (limits: string) => `n=$1
shift
while [ "$n" -gt 0 ]; do
  echo $$ > "$1" || { echo "pushpals: could not put this command in its cgroup ($1); check that the runner may write there, or that the sandbox was not stopped" >&2; exit ${SETUP_FAILED_EXIT_CODE}; }
  shift
  n=$((n - 1))
done
${limits}
exec "$@"`;

export interface Placement {
  procsFiles: string[];
  rlimits: Rlimits;
}

/** `command` started through the launcher, or as it is when there is nothing to place or limit. */
export function launched(command: HostCommand, placement: Placement): HostCommand {
  const limits = ulimitLines(placement.rlimits);
  if (placement.procsFiles.length === 0 && limits === "") return command;
  return {
    ...command,
    file: "/bin/sh",
    args: ["-c", LAUNCH_SCRIPT(limits), "pushpals-launch", String(placement.procsFiles.length), ...placement.procsFiles, command.file, ...command.args],
  };
}
