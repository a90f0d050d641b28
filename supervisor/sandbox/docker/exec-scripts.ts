/**
 * The shell scripts each docker exec runs (POSIX sh: busybox, dash and bash all run them).
 *
 * An exec'd command cannot be killed from outside by a process group we know, and its
 * background children would outlive it and keep the exec's stream open. So every command runs
 * under a small wrapper: the wrapper starts `sh -c <command>` as the leader of a new session
 * (setsid does not fork for a non-leader child), writes that pid to a file named after the
 * exec, waits for it, then kills what is left of its group and exits with its status.
 * A kill is a second exec that signals that group.
 *
 * Groups are signalled as `kill -SIG -<pgid>`, without `--`: busybox ash's kill rejects `--`,
 * and this form works in ash, dash and bash alike.
 */

/** Args: $1 the command, $2 the exec's id. */
export const RUN_WRAPPER = `exec 3<&0
setsid /bin/sh -c "$1" 0<&3 3<&- &
child=$!
exec 3<&-
echo "$child" > "/tmp/.pushpals-exec-$2.pid"
wait "$child"
code=$?
kill -KILL "-$child" 2>/dev/null
rm -f "/tmp/.pushpals-exec-$2.pid"
exit "$code"`;

/**
 * Args: $1 the exec's id, $2 grace in tenths of a second between SIGTERM and SIGKILL (0: SIGKILL
 * at once). Exits 3 when the wrapper's pid file does not show up (the command has ended, or it
 * removed the file: the driver then restarts the container).
 */
export const KILL_SCRIPT = `f="/tmp/.pushpals-exec-$1.pid"
i=0
while [ ! -s "$f" ]; do i=$((i+1)); [ "$i" -gt 40 ] && exit 3; sleep 0.05; done
group=$(cat "$f")
if [ "$2" -gt 0 ]; then
  kill -TERM "-$group" 2>/dev/null || kill -TERM "$group" 2>/dev/null
  i=0
  while [ "$i" -lt "$2" ] && kill -0 "-$group" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
fi
kill -KILL "-$group" 2>/dev/null || kill -KILL "$group" 2>/dev/null
exit 0`;

/** `env -i NAME=value ... /bin/sh -c RUN_WRAPPER pushpals-exec <command> <execId>` */
export function wrappedCommand(command: string, execId: string, env: Record<string, string>): string[] {
  const pairs = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  return ["env", "-i", ...pairs, "/bin/sh", "-c", RUN_WRAPPER, "pushpals-exec", command, execId];
}

/** The kill script's status when there was no pid file to act on. */
export const KILL_FOUND_NOTHING = 3;

export function killCommand(execId: string, graceMs: number): string[] {
  return ["/bin/sh", "-c", KILL_SCRIPT, "pushpals-kill", execId, String(Math.round(graceMs / 100))];
}
