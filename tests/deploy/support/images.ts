import { execFile } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "../../../shared/paths.js";
import type { Requirement } from "../../sandbox/environment.js";

const run = promisify(execFile);

export const PUSHPALS_IMAGE = "localhost/pushpals:latest";
export const SANDBOX_IMAGE = "localhost/pushpals-sandbox:latest";
/** The sandbox as deploy/compose/compose.toml names it: built with the runner's uid (SANDBOX_UID=1000). */
export const COMPOSE_SANDBOX_IMAGE = "localhost/pushpals-sandbox:compose";
const STAND_INS = join(import.meta.dirname, "..", "stand-ins");

/** Postgres and NATS under the official names the manifests use (no registry reachable here). */
export function buildStandIns(): Promise<void> {
  return withBuildLock(async () => {
    const build = (file: string, ...tags: string[]) =>
      podman(["build", "--format", "docker", "--quiet", "-f", join(STAND_INS, file), ...tags.flatMap((tag) => ["-t", tag]), STAND_INS], { timeoutMs: 10 * 60_000 });
    await build("postgres.Containerfile", "docker.io/library/postgres:15-bookworm");
    await build("nats.Containerfile", "docker.io/library/nats:2.9", "docker.io/library/nats:2.9-alpine");
  });
}

/** The compose stack's job sandbox (cached layers after the first build: seconds). */
export function buildComposeSandbox(): Promise<void> {
  return withBuildLock(async () => {
    const dir = join(packageRoot(), "deploy", "images");
    await podman(["build", "--format", "docker", "--quiet", "--build-arg", "SANDBOX_UID=1000", "-f", join(dir, "sandbox.Containerfile"), "-t", COMPOSE_SANDBOX_IMAGE, dir], {
      timeoutMs: 15 * 60_000,
    });
  });
}

/** podman on the path and the engine's settings in the environment (scripts/container-engine.sh). */
export async function podmanRequirement(): Promise<Requirement> {
  const available = await run("podman", ["info", "--format", "{{.Host.OCIRuntime.Name}}"]).then(
    () => process.env.CONTAINERS_CONF !== undefined,
    () => false,
  );
  return { name: "podman (scripts/container-engine.sh)", available, howToGet: 'run eval "$(bash scripts/container-engine.sh)" first' };
}

export async function podman(args: string[], options: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return run("podman", args, { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 });
}

/** Like podman(), but resolves with the exit code instead of throwing on a non-zero one. */
export async function podmanCode(args: string[]): Promise<{ code: number; output: string }> {
  return run("podman", args, { maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : 1,
      output: `${error.stdout ?? ""}${error.stderr ?? ""}`,
    }),
  );
}

let built: Promise<void> | undefined;

/**
 * The stand-in base (scripts/stand-in-base-image.sh: cached, seconds when warm) and then both
 * images, with podman build of the real Containerfiles. The PushPals image uses the build
 * context's node_modules (DEPS=context): the clone CI tests already ran `npm ci` on this platform.
 * Layers are cached by podman between runs, so only what changed is rebuilt.
 */
export function buildImages(): Promise<void> {
  built ??= withBuildLock(async () => {
    const root = packageRoot();
    await run("bash", [join(root, "scripts", "stand-in-base-image.sh")], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
    const build = (args: string[]) => podman(["build", "--format", "docker", "--quiet", ...args], { timeoutMs: 15 * 60_000 });
    await build(["-f", join(root, "deploy/images/sandbox.Containerfile"), "-t", SANDBOX_IMAGE, join(root, "deploy/images")]);
    await build([
      "--ignorefile",
      join(root, "deploy/images/with-node-modules.ignore"),
      "--build-arg",
      "DEPS=context",
      "-f",
      join(root, "deploy/images/pushpals.Containerfile"),
      "-t",
      PUSHPALS_IMAGE,
      root,
    ]);
    // Every source change leaves the old build stage (~1 GB) behind untagged; those older than an
    // hour go, so CI runs on one machine do not fill its disk (recent ones stay as build cache).
    await podman(["image", "prune", "--force", "--filter", "until=1h"]);
  });
  return built;
}

const LOCK_STALE_MS = 25 * 60_000;

/**
 * Test files run in separate workers: one builds while the others wait, then find every layer
 * cached (seconds) instead of building the same image side by side on two cores.
 */
export async function withBuildLock<T>(build: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), "pushpals-deploy-image-build.lock");
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    return await build();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Runs `podman healthcheck run` until it passes (podman has no systemd timers here to run it itself). */
export async function waitHealthy(container: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const { code, output } = await podmanCode(["healthcheck", "run", container]);
    if (code === 0) return output;
    last = output;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const logs = await podmanCode(["logs", "--tail", "30", container]);
  throw new Error(`${container} never became healthy: ${last}\nits log:\n${logs.output}`);
}
