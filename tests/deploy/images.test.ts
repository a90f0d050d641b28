import { beforeAll, expect, it } from "vitest";
import { describeIfAvailable } from "../sandbox/environment.js";
import { buildImages, PUSHPALS_IMAGE, podman, podmanCode, podmanRequirement, SANDBOX_IMAGE, waitHealthy } from "./support/images.js";

const requirement = await podmanRequirement();
const TOKEN = "image-test-token-0123456789abcdef";

interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  /** podman keeps the docker-format HEALTHCHECK beside Config, not in it. */
  Healthcheck?: { Test?: string[] };
}
const imageConfig = async (image: string): Promise<ImageConfig> => {
  const [inspected] = JSON.parse((await podman(["image", "inspect", image])).stdout) as { Config: ImageConfig; Healthcheck?: ImageConfig["Healthcheck"] }[];
  return { ...inspected!.Config, Healthcheck: inspected!.Healthcheck };
};

describeIfAvailable("deploy/images: both Containerfiles build with podman from the repository, run as non-root and answer health", requirement, () => {
  // Cold (no stand-in base cached, no layers): about 8 minutes on this machine; warm: the source layer only.
  beforeAll(() => buildImages(), 20 * 60_000);

  it("the PushPals image runs as a non-root user with production dependencies only, answers grpc.health.v1 SERVING, and drains on SIGTERM", async () => {
    const config = await imageConfig(PUSHPALS_IMAGE);
    expect(config.User).toBe("node");
    expect(config.Healthcheck?.Test?.join(" ")).toContain("/app/health-check.mjs");
    expect((await podman(["run", "--rm", "--entrypoint", "id", PUSHPALS_IMAGE, "-u"])).stdout.trim()).toBe("1000");
    // Production dependencies only: the run stage has no compiler, test runner or linter.
    const devDependency = await podmanCode(["run", "--rm", "--entrypoint", "ls", PUSHPALS_IMAGE, "/app/node_modules/typescript", "/app/node_modules/vitest"]);
    expect(devDependency.code, devDependency.output).not.toBe(0);
    expect((await podman(["run", "--rm", "--entrypoint", "ls", PUSHPALS_IMAGE, "/app/node_modules/@connectrpc/connect-node/package.json"])).stdout).toContain("package.json");
    expect((await podman(["run", "--rm", PUSHPALS_IMAGE, "--version"])).stdout).toMatch(/^pushpals \d+\.\d+\.\d+/);

    const name = `pushpals-image-test-${process.pid}`;
    await podman(["run", "-d", "--name", name, "-e", `PUSHPALS_AUTH_TOKEN=${TOKEN}`, PUSHPALS_IMAGE, "serve", "sessions"]);
    try {
      await waitHealthy(name);
      expect((await podman(["exec", name, "node", "/app/health-check.mjs"])).stdout).toBe("grpc.health.v1 (server): SERVING\n");
      const started = Date.now();
      await podman(["stop", "--time", "25", name]);
      const state = JSON.parse((await podman(["inspect", name, "--format", "{{json .State}}"])).stdout) as { ExitCode: number };
      expect(state.ExitCode, "SIGTERM ends it cleanly (tini hands it to node), not the SIGKILL after the timeout").toBe(0);
      expect(Date.now() - started).toBeLessThan(20_000);
      const logs = (await podman(["logs", name])).stdout + (await podman(["logs", name])).stderr;
      expect(logs).toContain("control plane listening");
    } finally {
      await podmanCode(["rm", "-f", name]);
    }
  }, 120_000);

  it("without a token on its non-loopback port the PushPals image refuses to start (health is open, nothing else is)", async () => {
    const { code, output } = await podmanCode(["run", "--rm", PUSHPALS_IMAGE, "serve", "sessions"]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/PUSHPALS_AUTH_TOKEN/);
  }, 60_000);

  it("the sandbox image has git, a shell, Node and Python, runs as uid 65532, carries no secrets and passes its health check", async () => {
    const config = await imageConfig(SANDBOX_IMAGE);
    expect(config.User).toBe("65532:65532");
    const names = (config.Env ?? []).map((entry) => entry.split("=")[0]).sort();
    expect(
      names.filter((n) => !["HOME", "NODE_VERSION", "PATH"].includes(n!)),
      "only PATH, HOME, NODE_VERSION",
    ).toEqual([]);
    const { stdout } = await podman([
      "run",
      "--rm",
      "--network",
      "none",
      "--read-only",
      SANDBOX_IMAGE,
      "sh",
      "-c",
      "id -u; git --version; node --version; python3 --version; ls -A /workspace | wc -l",
    ]);
    const [uid, git, node, python, files] = stdout.trim().split("\n");
    expect(uid).toBe("65532");
    expect(git).toMatch(/^git version 2\./);
    expect(node).toMatch(/^v20\./);
    expect(python).toMatch(/^Python 3\./);
    expect(files, "an empty workspace").toBe("0");
    const name = `pushpals-sandbox-test-${process.pid}`;
    await podman(["run", "-d", "--name", name, SANDBOX_IMAGE]);
    try {
      await waitHealthy(name, 30_000);
    } finally {
      await podmanCode(["rm", "-f", "-t", "0", name]);
    }
  }, 120_000);
});
