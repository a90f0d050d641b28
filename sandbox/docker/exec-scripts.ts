/**
 * The shell scripts each docker exec runs (POSIX sh: busybox, dash and bash all run them).
 *
 * An exec'd command cannot be killed from outside by a process group we know, and its
 * background children would outlive it and keep the exec's stream open. So every command runs
 * under a small wrapper: the wrapper starts `sh -c <command>` as the leader of a new session
 * (setsid does not fork for a non-leader child), writes that pid to a file named after the
 * exec, waits for it, then kills what is left of its session and every orphan (REAP_LEFTOVERS)
 * and exits with its status.
 * A kill is a second exec that signals that group.
 *
 * Groups are signalled as `kill -SIG -<pgid>`, without `--`: busybox ash's kill rejects `--`,
 * and this form works in ash, dash and bash alike.
 */

/**
 * What a command leaves when it ends, found from /proc inside the container: every process in
 * the command's session (whatever process group it moved to), and every orphan, reparented to
 * the container's init, that is not in the session of a command still running. setsid,
 * double-fork and env -i survivors are all orphans. The container's main process is the init's
 * first child; it is spared. Killed in rounds (a fork between scan and kill is caught next
 * round), bounded; stop() removes the container, which ends whatever is left.
 * Args: $1 the session that ended, $2 the pid file glob of the running commands.
 */
const REAP_LEFTOVERS = `reap() {
  ended=$1
  running=$2
  round=0
  while [ "$round" -lt 40 ]; do
    live=" $(cat $running 2>/dev/null | tr '\\n' ' ') "
    main=
    first=
    for stat in /proc/[0-9]*/stat; do
      read -r line < "$stat" 2>/dev/null || continue
      set -- \${line##*) }
      if [ "$2" = 1 ] && { [ -z "$first" ] || [ "\${20}" -lt "$first" ]; }; then first=\${20}; main=\${stat%/stat}; fi
    done
    found=0
    for stat in /proc/[0-9]*/stat; do
      pid=\${stat%/stat}
      [ "$pid" = "$main" ] && continue
      read -r line < "$stat" 2>/dev/null || continue
      set -- \${line##*) }
      [ "$1" = Z ] && continue
      orphan=0
      if [ "$2" = 1 ]; then case "$live" in *" $4 "*) ;; *) orphan=1 ;; esac; fi
      if [ "$4" = "$ended" ] || [ "$orphan" = 1 ]; then kill -KILL "\${pid#/proc/}" 2>/dev/null && found=1; fi
    done
    [ "$found" = 0 ] && return
    round=$((round + 1))
    sleep 0.05
  done
}`;

/** Args: $1 the command, $2 the exec's id. */
export const RUN_WRAPPER = `${REAP_LEFTOVERS}
id=$2
exec 3<&0
setsid /bin/sh -c "$1" 0<&3 3<&- &
child=$!
exec 3<&-
echo "$child" > "/tmp/.pushpals-exec-$id.pid"
wait "$child"
code=$?
kill -KILL "-$child" 2>/dev/null
rm -f "/tmp/.pushpals-exec-$id.pid"
reap "$child" "/tmp/.pushpals-exec-*.pid"
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
