import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newId } from "../../shared/ids.js";
import { createEngineClient, EngineError } from "../../sandbox/docker/engine-client.js";
import { createDockerDriver, JOB_LABEL, OWNER_LABEL, type DockerDriverOptions } from "../../sandbox/docker-driver.js";
import { describeDriverConformance } from "./conformance.js";
import { describeIfAvailable } from "./environment.js";
import { collect, makeWorkspace, processesWith, uniqueSleep, waitFor, type Workspace } from "./fixtures.js";
import { z } from "zod";

const settings: DockerDriverOptions = {
  image: "localhost/pushpals-busybox:latest",
  network: "none",
  cpus: 0.5,
  memoryMb: 128,
  pidsLimit: 64,
};

const requirement = {
  name: "a container engine with the Docker API (DOCKER_HOST)",
  available: await createDockerDriver(settings).available(),
  howToGet: 'run eval "$(bash scripts/container-engine.sh)" (podman serving the Docker Engine API) or start Docker',
};

describeDriverConformance("docker", requirement, () => createDockerDriver(settings), {
  isolated: true,
  hasGit: false,
  tcpProbe: (port) => `nc -w 2 127.0.0.1 ${port} </dev/null`,
  sequentialExecs: 15,
  workspace: "mounted",
});

const containerInspect = z.object({
  Config: z.object({ Labels: z.record(z.string(), z.string()) }),
  HostConfig: z.object({
    Memory: z.number(),
    PidsLimit: z.number(),
    NanoCpus: z.number(),
    NetworkMode: z.string(),
    ReadonlyRootfs: z.boolean(),
    CapDrop: z.array(z.string()).nullable(),
  }),
  State: z.object({ Running: z.boolean() }),
});

describeIfAvailable("docker driver", requirement, () => {
  const engine = createEngineClient();
  let workspace: Workspace;
  const inspect = (id: string) => engine.read(containerInspect, "GET", `/containers/${id}/json`);
  const gone = async (id: string) => {
    const error = await inspect(id).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    return error instanceof EngineError && error.status === 404;
  };

  beforeAll(async () => {
    workspace = await makeWorkspace();
  });
  afterAll(async () => {
    await workspace.dir.remove();
  });

  it("starts one labelled container with the limits, no network, and removes it on stop()", async () => {
    const driver = createDockerDriver(settings);
    const jobId = newId("job");
    const sandbox = await driver.start({
      jobId,
      owner: "docker-limits",
      worktree: workspace.worktree,
      env: {},
      limits: { memoryMb: 96, pids: 48 },
    });
    const container = await inspect(sandbox.id);
    expect(container.State.Running).toBe(true);
    expect(container.Config.Labels).toMatchObject({ [OWNER_LABEL]: "docker-limits", [JOB_LABEL]: jobId });
    expect(container.HostConfig).toMatchObject({
      Memory: 96 * 1024 * 1024,
      PidsLimit: 48,
      NanoCpus: 0.5e9,
      NetworkMode: "none",
      ReadonlyRootfs: true,
    });
    // Docker records ["ALL"], podman the expanded list; either way something is dropped (CapEff is checked inside).
    expect(container.HostConfig.CapDrop?.length ?? 0).toBeGreaterThan(0);
    // The limits are in force inside, not only recorded.
    const limits = await collect(sandbox.exec("cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max"));
    expect(limits.stdout.trim()).toBe("48");
    await sandbox.stop();
    expect(await gone(sandbox.id)).toBe(true);
    await sandbox.stop();
  });

  it("restarts the container when a command hid from the kill, and keeps working after", async () => {
    const sandbox = await createDockerDriver(settings).start({ jobId: newId("job"), owner: "docker-escalate", worktree: workspace.worktree, env: {} });
    const { seconds, marker } = uniqueSleep();
    const controller = new AbortController();
    // Removing the wrapper's pid file leaves the kill exec nothing to aim at.
    const collected = collect(sandbox.exec(`rm -f /tmp/.pushpals-exec-*.pid; sleep ${seconds}`, { signal: controller.signal }));
    await waitFor("the sleep to run", async () => (await processesWith(marker)) === 1, 3000);
    const abortedAt = performance.now();
    controller.abort();
    const { result, settledAt } = await collected;
    expect(result.cancelled).toBe(true);
    expect(settledAt - abortedAt).toBeLessThan(8000);
    await waitFor("the sleep to be gone", async () => (await processesWith(marker)) === 0, 2000);
    const after = await collect(sandbox.exec("echo still here"));
    expect(after.stdout).toBe("still here\n");
    await sandbox.stop();
  });

  it("refuses a job that asks for network when the configured network is none", async () => {
    const driver = createDockerDriver(settings);
    const caught = await driver.start({ jobId: newId("job"), owner: "docker-net", worktree: workspace.worktree, env: {}, network: true }).catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(ConnectError);
    expect((caught as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((caught as ConnectError).rawMessage).toMatch(/runner\.docker\.network/);
  });

  it("says which image is missing and what to do", async () => {
    const driver = createDockerDriver({ ...settings, image: "localhost/pushpals-missing:latest" });
    const caught = await driver.start({ jobId: newId("job"), owner: "docker-image", worktree: workspace.worktree, env: {} }).catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(ConnectError);
    expect((caught as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((caught as ConnectError).rawMessage).toMatch(/image localhost\/pushpals-missing:latest is not on the container engine/);
  });

  it("sweeps the containers a crashed runner left, by owner label, and no one else's", async () => {
    const crashed = createDockerDriver(settings);
    const owner = `docker-sweep-${Date.now()}`;
    const orphan = await crashed.start({ jobId: newId("job"), owner, worktree: workspace.worktree, env: {} });
    const bystander = await crashed.start({ jobId: newId("job"), owner: `${owner}-other`, worktree: workspace.worktree, env: {} });
    const restarted = createDockerDriver(settings);
    expect(await restarted.sweep(owner)).toBe(1);
    expect(await gone(orphan.id)).toBe(true);
    expect((await inspect(bystander.id)).State.Running).toBe(true);
    expect(await restarted.sweep(owner)).toBe(0);
    await bystander.stop();
    expect(await gone(bystander.id)).toBe(true);
  });

  it("is unavailable, not crashing, when no engine answers", async () => {
    const driver = createDockerDriver({ ...settings, dockerHost: "unix:///nonexistent/docker.sock" });
    expect(await driver.available()).toBe(false);
    await expect(driver.start({ jobId: newId("job"), owner: "docker-down", worktree: workspace.worktree, env: {} })).rejects.toThrow(
      /cannot reach the container engine at unix:\/\/\/nonexistent\/docker\.sock.*start Docker or podman/,
    );
  });
});
