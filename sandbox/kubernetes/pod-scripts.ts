import { POD_WORKDIR } from "./names.js";

/**
 * The POSIX sh scripts each exec runs in the pod (dash, busybox and bash all run them; note
 * `kill -SIG -PGID`: dash refuses `kill -KILL -- -PGID` and busybox refuses any `--`).
 *
 * Why a wrapper: the Exec API cannot signal the process it started, and closing the exec's
 * stream does not stop it either. So a command runs as `setsid /bin/sh -c <command>`, the
 * leader of a new process group whose id the wrapper writes to a file named after the exec;
 * to time it out or cancel it, a second exec signals that whole group (KILL_SCRIPT). When the
 * command exits, the wrapper kills what it left in the background, so the exec's stream closes.
 *
 * The wrapper also sets the environment: kubelet starts execs with the container's environment
 * (the image's ENV, KUBERNETES_SERVICE_*), so the command runs under `env -i` with exactly the
 * pairs it is given.
 *
 * Its first byte on stdout says whether the command started: ACK, or NAK followed by why not.
 */
export const STARTED = 0x06;
export const REFUSED = 0x15;
/** stdin-bytes argument meaning "no stdin". */
const NO_STDIN = "-";

/** Args: $1 exec id, $2 cwd relative to the workspace, $3 stdin byte count or "-", $4 the command, then NAME=value pairs. */
const RUN_SCRIPT = `id=$1 cwd=$2 input=$3 command=$4
shift 4
cd "${POD_WORKDIR}/$cwd" 2>/dev/null || { printf '\\025"%s" is not a directory in the workspace; create it first or pass an existing one' "$cwd"; exit 2; }
pidfile="/tmp/.pushpals-exec-$id.pid"
printf '\\006'
if [ "$input" = "${NO_STDIN}" ]; then
  setsid env -i "$@" /bin/sh -c "$command" </dev/null &
else
  exec 3<&0
  head -c "$input" <&3 2>/dev/null | setsid env -i "$@" /bin/sh -c "$command" 3<&- &
  exec 3<&-
fi
child=$!
echo "$child" > "$pidfile"
wait "$child"
code=$?
kill -KILL -"$child" 2>/dev/null
rm -f "$pidfile"
exit "$code"`;

/**
 * Args: $1 exec id, $2 tenths of a second between SIGTERM and SIGKILL (0: SIGKILL at once).
 * Exits 3 when the wrapper's pid file does not show up: the command has ended already, or
 * removed the file (then what it left dies with the pod).
 */
const KILL_SCRIPT = `f="/tmp/.pushpals-exec-$1.pid"
i=0
while [ ! -s "$f" ]; do i=$((i+1)); [ "$i" -gt 40 ] && exit 3; sleep 0.05; done
group=$(cat "$f")
if [ "$2" -gt 0 ]; then
  kill -TERM -"$group" 2>/dev/null
  i=0
  while [ "$i" -lt "$2" ] && kill -0 -"$group" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
fi
kill -KILL -"$group" 2>/dev/null
exit 0`;

/**
 * Arg: $1 the archive's size in bytes. Empties the workspace (unlocking the read-only git data
 * an earlier copy left) and unpacks exactly that many bytes from stdin. The copied git
 * objects and refs are then made read-only: the runner alone commits, outside the pod.
 */
const COPY_IN_SCRIPT = `cd "${POD_WORKDIR}" || exit 1
[ -d .git ] && chmod -R u+w .git
rm -rf ./..?* ./.[!.]* ./*
head -c "$1" | tar -x -f - || exit 1
for d in .git/objects .git/refs; do [ -d "$d" ] && chmod -R a-w "$d"; done
exit 0`;

const COPY_OUT_SCRIPT = `cd "${POD_WORKDIR}" && exec tar -c -f - .`;

export interface RunPlan {
  execId: string;
  /** Relative to the workspace, "" for its root. */
  cwd: string;
  command: string;
  env: Record<string, string>;
  /** Byte length of the stdin that will be sent, if any. */
  stdinBytes: number | undefined;
}

export function runArgv(plan: RunPlan): string[] {
  const pairs = Object.entries(plan.env).map(([name, value]) => `${name}=${value}`);
  const input = plan.stdinBytes === undefined ? NO_STDIN : String(plan.stdinBytes);
  return ["/bin/sh", "-c", RUN_SCRIPT, "pushpals-exec", plan.execId, plan.cwd, input, plan.command, ...pairs];
}

export function killArgv(execId: string, graceMs: number): string[] {
  return ["/bin/sh", "-c", KILL_SCRIPT, "pushpals-kill", execId, String(Math.round(graceMs / 100))];
}

export function copyInArgv(bytes: number): string[] {
  return ["/bin/sh", "-c", COPY_IN_SCRIPT, "pushpals-copy-in", String(bytes)];
}

export function copyOutArgv(): string[] {
  return ["/bin/sh", "-c", COPY_OUT_SCRIPT];
}
