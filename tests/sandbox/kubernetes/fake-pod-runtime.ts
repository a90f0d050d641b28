import { spawn, type ChildProcess } from "node:child_process";
import { access, chmod, lstat, mkdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";

/**
 * The fake kubelet's container runtime: a pod is a set of fresh namespaces made by bubblewrap
 * (user, pid, mount, network, ipc, uts), with the host's system directories read-only as its
 * "image", a host temp dir at /workspace and another at /tmp (the emptyDirs). Its init runs
 * the pod's command. An exec joins those namespaces with nsenter as the pod's uid, so processes
 * of different execs see and can signal each other, as in a real container, and deleting the
 * pod kills its pid namespace's init, which takes every process in the pod with it.
 */
export interface PodRuntime {
  readonly workspace: string;
  /** Host pid of the pod's pid-namespace init. */
  readonly initPid: number;
  /** Settles when the pod's command has ended (exit code, or 128 + signal). */
  readonly exited: Promise<number>;
  exec(argv: string[], withStdin: boolean): ChildProcess;
  kill(): Promise<void>;
}

export interface PodRuntimeSpec {
  name: string;
  command: string[];
  uid: number;
  gid: number;
  readOnlyRoot: boolean;
  noNewPrivileges: boolean;
  /** Mount a (fake) service-account token where pods find one. */
  serviceAccountToken: boolean;
  workingDir: string;
  /** What kubelet gives every process in the container: image ENV, service variables, the spec's env. */
  env: Record<string, string>;
}

const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"];
export const TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export async function runtimeAvailable(): Promise<boolean> {
  const tools = await Promise.all(
    ["/usr/bin/bwrap", "/usr/bin/nsenter", "/usr/bin/setpriv"].map((tool) =>
      access(tool).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (tools.includes(false)) return false;
  return new Promise((resolve) => {
    const probe = spawn("/usr/bin/bwrap", ["--unshare-user", "--unshare-pid", "--unshare-net", "--uid", "65532", "--ro-bind", "/", "/", "/bin/true"], { stdio: "ignore" });
    probe.once("error", () => resolve(false));
    probe.once("exit", (code) => resolve(code === 0));
  });
}

export async function startPodRuntime(dir: string, spec: PodRuntimeSpec): Promise<PodRuntime> {
  const workspace = join(dir, "workspace");
  const tmp = join(dir, "tmp");
  await mkdir(workspace, { recursive: true });
  await mkdir(tmp, { recursive: true });
  await Promise.all([chmod(workspace, 0o777), chmod(tmp, 0o1777)]);
  const args = ["--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--hostname", spec.name];
  args.push("--uid", String(spec.uid), "--gid", String(spec.gid), "--die-with-parent", "--info-fd", "3", "--tmpfs", "/");
  for (const path of SYSTEM_PATHS) {
    const info = await lstat(path).catch(() => undefined);
    if (info?.isSymbolicLink()) args.push("--symlink", await readlink(path), path);
    else if (info?.isDirectory()) args.push("--ro-bind", path, path);
  }
  args.push("--proc", "/proc", "--dev", "/dev", "--bind", workspace, "/workspace", "--bind", tmp, "/tmp");
  if (spec.serviceAccountToken) {
    const token = join(dir, "token");
    await writeFile(token, "fake-service-account-token\n");
    args.push("--ro-bind", token, TOKEN_PATH);
  }
  if (spec.readOnlyRoot) args.push("--remount-ro", "/");
  args.push("--clearenv", ...Object.entries(spec.env).flatMap(([name, value]) => ["--setenv", name, value]), "--chdir", spec.workingDir, "--", ...spec.command);

  const init = spawn("/usr/bin/bwrap", args, { stdio: ["ignore", "ignore", "pipe", "pipe"] });
  const exited = new Promise<number>((resolve) => init.once("exit", (code, signal) => resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : 15))));
  const initPid = await childPid(init, exited);
  // Execs start in the container's working directory: nsenter takes it from a process already
  // there (a path given to it would be resolved on the host), the pod's command under init.
  const commandPid = await firstChild(initPid);

  const execEnv = Object.entries(spec.env).map(([name, value]) => `${name}=${value}`);
  return {
    workspace,
    initPid,
    exited,
    exec(argv, withStdin) {
      const inPod = ["--target", String(commandPid), "--user", "--mount", "--pid", "--net", "--uts", "--ipc", "--wd"];
      inPod.push("--setuid", String(spec.uid), "--setgid", String(spec.gid), "--");
      inPod.push("/usr/bin/env", "-i", ...execEnv);
      if (spec.noNewPrivileges) inPod.push("/usr/bin/setpriv", "--no-new-privs", "--");
      return spawn("/usr/bin/nsenter", [...inPod, ...argv], { stdio: [withStdin ? "pipe" : "ignore", "pipe", "pipe"] });
    },
    async kill() {
      try {
        process.kill(initPid, "SIGKILL");
      } catch {
        // Already gone.
      }
      await exited;
    },
  };
}

async function firstChild(pid: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
    const child = Number(children.trim().split(/\s+/)[0]);
    if (child > 0) return child;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the fake pod's init (pid ${pid}) never started the pod's command`);
}

/** bwrap writes {"child-pid": N} on fd 3 once the namespaces exist. */
async function childPid(init: ChildProcess, exited: Promise<number>): Promise<number> {
  const info = init.stdio[3];
  const stderr = init.stdio[2];
  let errors = "";
  if (stderr instanceof Readable) stderr.setEncoding("utf8").on("data", (text: string) => (errors += text));
  if (!(info instanceof Readable)) throw new Error("bwrap's info pipe is missing");
  let text = "";
  info.setEncoding("utf8");
  return new Promise<number>((resolve, reject) => {
    info.on("data", (data: string) => {
      text += data;
      const pid = /"child-pid"\s*:\s*(\d+)/.exec(text)?.[1];
      if (pid) resolve(Number(pid));
    });
    void exited.then((code) => reject(new Error(`the fake pod's bwrap exited ${code} before it started: ${errors.trim()}`)));
  });
}
