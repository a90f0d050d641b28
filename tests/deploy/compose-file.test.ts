import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../shared/config/load.js";
import { packageRoot } from "../../shared/paths.js";
import { itIfAvailable } from "../sandbox/environment.js";

const run = promisify(execFile);
const dockerCompose1 = {
  name: "docker-compose (1.x)",
  available: await run("docker-compose", ["version", "--short"]).then(
    () => true,
    () => false,
  ),
  howToGet: "apt-get install docker-compose",
};

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  ports?: string[];
  read_only?: boolean;
  cap_drop?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const dir = join(packageRoot(), "deploy", "compose");
// `merge: true` resolves the YAML merge keys (<<) the file uses for the services' shared part.
const compose = parse(await readFile(join(dir, "compose.yaml"), "utf8"), { merge: true }) as ComposeFile;
const envExample = await readFile(join(dir, ".env.example"), "utf8");

describe("deploy/compose/compose.yaml: the mesh as containers, started in health order", () => {
  it("runs each service as its own `pushpals serve <service>` container beside Postgres and NATS with JetStream", () => {
    const { services } = compose;
    expect(Object.keys(services).sort()).toEqual(["chat", "control-plane", "integration", "nats", "planner", "postgres", "repo-init", "runner"]);
    expect(services["control-plane"]!.command).toEqual(["serve", "sessions"]);
    for (const name of ["chat", "planner", "integration", "runner"]) expect(services[name]!.command, name).toEqual(["serve", name]);
    expect(services.nats!.command).toContain("-js");
    expect(services["control-plane"]!.ports, "published on loopback by default").toEqual(["${PUSHPALS_PUBLISH:-127.0.0.1:3001}:3001"]);
  });

  it("names every image through a variable with the public default, so a mirror or a local stand-in can replace it", () => {
    const images = Object.fromEntries(Object.entries(compose.services).map(([name, service]) => [name, service.image]));
    expect(images.postgres).toBe("${POSTGRES_IMAGE:-docker.io/library/postgres:15-bookworm}");
    expect(images.nats).toBe("${NATS_IMAGE:-docker.io/library/nats:2.9-alpine}");
    for (const name of ["control-plane", "chat", "planner", "integration", "runner", "repo-init"]) expect(images[name], name).toBe("${PUSHPALS_IMAGE:-localhost/pushpals:latest}");
  });

  it("starts in health order: the store and bus healthy before the control plane, the control plane healthy and the repository cloned before the workers", () => {
    const { services } = compose;
    expect(services["control-plane"]!.depends_on).toEqual({ postgres: { condition: "service_healthy" }, nats: { condition: "service_healthy" } });
    expect(services.chat!.depends_on).toEqual({ "control-plane": { condition: "service_healthy" } });
    for (const name of ["planner", "integration", "runner"]) {
      expect(services[name]!.depends_on, name).toEqual({
        "control-plane": { condition: "service_healthy" },
        "repo-init": { condition: "service_completed_successfully" },
      });
    }
    for (const name of ["postgres", "nats", "control-plane", "chat", "planner", "integration", "runner"]) {
      expect(services[name]!.healthcheck?.test?.length, `${name} has a health check`).toBeGreaterThan(1);
    }
    expect(services.runner!.healthcheck?.test).toEqual(["CMD", "node", "/app/health-check.mjs"]);
    expect(services.runner!.environment?.PUSHPALS_METRICS, "the runner's port, for its health check").toBe("true");
  });

  it("keeps data in named volumes, locks the service containers down, and gives the runner the engine socket with the docker driver", () => {
    const { services, volumes } = compose;
    expect(Object.keys(volumes).sort()).toEqual(["chatdata", "cpdata", "integrationdata", "natsdata", "pgdata", "plannerdata", "runnerdata"]);
    expect(services.postgres!.volumes).toEqual(["pgdata:/var/lib/postgresql/data"]);
    for (const name of ["control-plane", "chat", "planner", "integration", "runner"]) {
      expect(services[name]!.read_only, name).toBe(true);
      expect(services[name]!.cap_drop, name).toEqual(["ALL"]);
    }
    expect(services.runner!.environment).toMatchObject({ PUSHPALS_SANDBOX_DRIVER: "docker", DOCKER_HOST: "unix:///run/engine.sock" });
    expect(services.runner!.volumes).toContain("${ENGINE_SOCKET:-/var/run/docker.sock}:/run/engine.sock");
    expect(services.integration!.volumes, "integration's checks run in engine containers too").toContain("${ENGINE_SOCKET:-/var/run/docker.sock}:/run/engine.sock");
    for (const name of ["control-plane", "chat", "planner", "integration", "runner"]) {
      expect(services[name]!.environment?.PUSHPALS_PROFILE, name).toBe("compose");
      expect(services[name]!.volumes, name).toContain("./compose.toml:/app/configs/compose.toml:ro");
    }
    expect(services["control-plane"]!.environment?.PUSHPALS_DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\/pushpals$/);
    // Only the control plane opens the store.
    for (const name of ["chat", "planner", "integration", "runner"]) expect(services[name]!.environment?.PUSHPALS_DATABASE_URL, name).toBeUndefined();
  });

  it("its profile compose.toml loads on top of the shipped defaults: the docker driver's image is the compose build of the sandbox", async () => {
    const configDir = await mkdtemp(join(tmpdir(), "pushpals-compose-profile-"));
    try {
      await copyFile(join(packageRoot(), "configs", "default.toml"), join(configDir, "default.toml"));
      await copyFile(join(dir, "compose.toml"), join(configDir, "compose.toml"));
      const config = loadConfig({ configDir, env: { PUSHPALS_PROFILE: "compose", PUSHPALS_SANDBOX_DRIVER: "docker" }, warn: () => undefined });
      expect(config.runner.docker.image).toBe("localhost/pushpals-sandbox:compose");
      expect(config.integration.checkDriver).toBe("docker");
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });

  it("every variable the file requires has a line in .env.example", () => {
    const text = JSON.stringify(compose);
    const required = [...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((match) => match[1]!);
    expect(required.length).toBeGreaterThan(0);
    for (const name of new Set(required)) expect(envExample, name).toMatch(new RegExp(`^${name}=`, "m"));
  });

  // The README promises `docker compose`, `podman compose` or `docker-compose`: the oldest of them,
  // Debian's docker-compose 1.29, refused a top-level `name:` (compose spec only). `config` parses
  // and validates the file with .env.example's values, without an engine.
  itIfAvailable("docker-compose 1.x accepts the file, and .env.example names the project", dockerCompose1, async () => {
    const { stdout } = await run("docker-compose", ["--env-file", join(dir, ".env.example"), "-f", join(dir, "compose.yaml"), "config"], { cwd: dir, timeout: 30_000 });
    const rendered = parse(stdout) as ComposeFile;
    expect(Object.keys(rendered.services).sort()).toEqual(Object.keys(compose.services).sort());
    expect(envExample).toMatch(/^COMPOSE_PROJECT_NAME=pushpals$/m);
  });
});
