import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "../../../shared/paths.js";
import { podmanCode } from "./images.js";

const run = promisify(execFile);
export const COMPOSE_FILE = join(packageRoot(), "deploy", "compose", "compose.yaml");
/** The services' user in the PushPals image (node): it writes the state directory and pushes to the remote. */
const SERVICE_UID = 1000;
export const PUSHPALS_SERVICES = ["control-plane", "chat", "planner", "integration", "runner"] as const;

/** The podman-compose of Debian (1.0.3) is what CI installs (.ci/run). */
export async function composeRequirement() {
  const available = await run("podman-compose", ["version"]).then(
    () => true,
    () => false,
  );
  return { name: "podman-compose", available, howToGet: "apt-get install podman-compose" };
}

/**
 * A Docker API socket of the engine for the stack alone. The shared one (scripts/container-engine.sh)
 * is root's, mode 600, and podman-compose 1.0.3 drops `group_add`, so the runner's uid could not
 * use it; this one sits in a 0700 folder of the test and is opened to the containers' user.
 */
export async function startEngineSocket(dir: string): Promise<{ socket: string; stop(): Promise<void> }> {
  await mkdir(dir, { mode: 0o700 });
  const socket = join(dir, "engine.sock");
  // From /: conmon fails every container once the directory the service started in is deleted.
  const service: ChildProcess = spawn("podman", ["system", "service", "--time=0", `unix://${socket}`], { cwd: "/", stdio: "ignore" });
  const exited = once(service, "exit");
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ping = await run("curl", ["-sf", "--unix-socket", socket, "http://d/_ping"]).then(
      () => true,
      () => false,
    );
    if (ping) break;
    if (Date.now() > deadline || service.exitCode !== null) throw new Error(`podman system service on ${socket} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await chmod(socket, 0o666);
  return {
    socket,
    async stop() {
      if (service.exitCode === null && service.signalCode === null) {
        service.kill("SIGTERM");
        await exited;
      }
    },
  };
}

export interface StackOptions {
  project: string;
  dir: string;
  /** The folder mounted at /remote (holds the bare repository). */
  remoteDir: string;
  repositoryUrl: string;
  engineSocket: string;
  publishPort: number;
  modelUrl: string;
  token: string;
  /** TOML mounted as configs/local.toml into every PushPals service (test timings). */
  localToml: string;
}

export interface Stack {
  url: string;
  stateDir: string;
  compose(args: string[], timeoutMs?: number): Promise<{ code: number; output: string }>;
  container(service: string): string;
  logs(services?: readonly string[], lines?: number): Promise<string>;
}

/**
 * deploy/compose/compose.yaml unchanged, with an override that only adds configs/local.toml to the
 * PushPals services; everything else comes in through the variables .env.example documents.
 */
export async function prepareStack(options: StackOptions): Promise<Stack> {
  const stateDir = join(options.dir, "state");
  await mkdir(stateDir);
  await chown(stateDir, SERVICE_UID, SERVICE_UID);
  const localToml = join(options.dir, "local.toml");
  await writeFile(localToml, options.localToml);
  const override = join(options.dir, "compose.test.yaml");
  const mount = `${localToml}:/app/configs/local.toml:ro`;
  await writeFile(override, `services:\n${PUSHPALS_SERVICES.map((name) => `  ${name}:\n    volumes: ["${mount}"]\n`).join("")}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PUSHPALS_AUTH_TOKEN: options.token,
    POSTGRES_PASSWORD: "compose-e2e-password",
    REPOSITORY_URL: options.repositoryUrl,
    PUSHPALS_REMOTE_DIR: options.remoteDir,
    PUSHPALS_GIT_PUSH_TOKEN: "",
    PUSHPALS_LLM_BASE_URL: options.modelUrl,
    PUSHPALS_LLM_MODEL: "pushpals-e2e",
    PUSHPALS_LLM_API_KEY: "e2e-key",
    PUSHPALS_STATE_DIR: stateDir,
    ENGINE_SOCKET: options.engineSocket,
    ENGINE_SOCKET_GID: "0",
    PUSHPALS_PUBLISH: `127.0.0.1:${options.publishPort}`,
  };
  const compose = (args: string[], timeoutMs = 180_000) =>
    run("podman-compose", ["-p", options.project, "-f", COMPOSE_FILE, "-f", override, ...args], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }).then(
      ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
      (error: { code?: number; stdout?: string; stderr?: string; message: string }) => ({
        code: typeof error.code === "number" ? error.code : 1,
        output: `${error.stdout ?? ""}${error.stderr ?? ""}${error.message}`,
      }),
    );
  // podman-compose names containers <project>_<service>_1.
  const container = (service: string) => `${options.project}_${service}_1`;
  const logs = async (services: readonly string[] = PUSHPALS_SERVICES, lines = 15) => {
    const parts = await Promise.all(services.map(async (name) => `--- ${name} ---\n${(await podmanCode(["logs", "--tail", String(lines), container(name)])).output}`));
    return parts.join("\n");
  };
  return { url: `http://127.0.0.1:${options.publishPort}`, stateDir, compose, container, logs };
}

/** Every container of the compose project, running or not. */
export async function projectContainers(project: string): Promise<string[]> {
  const { output } = await podmanCode(["ps", "-a", "--filter", `label=io.podman.compose.project=${project}`, "--format", "{{.Names}}"]);
  return output.split("\n").filter(Boolean);
}

export async function containerState(name: string): Promise<{ pid: number; restarts: number; running: boolean }> {
  const { output } = await podmanCode(["inspect", "--format", "{{.State.Pid}} {{.RestartCount}} {{.State.Running}}", name]);
  const [pid, restarts, running] = output.trim().split(" ");
  return { pid: Number(pid), restarts: Number(restarts), running: running === "true" };
}
