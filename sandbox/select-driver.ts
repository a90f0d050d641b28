import { failedPrecondition } from "../shared/errors.js";
import type { Config } from "../shared/config/schema.js";
import type { Logger } from "../shared/log.js";
import { createBwrapDriver, INSTALL_BWRAP_HINT } from "./bwrap-driver.js";
import { createDockerDriver } from "./docker-driver.js";
import type { SandboxDriver } from "./driver.js";
import { createProcessDriver } from "./process-driver.js";

export type SupervisorSettings = Config["runner"];

/** Where drivers look for their tools; tests point these at missing ones. */
export interface DriverLocations {
  bwrapPath?: string;
  dockerHost?: string;
}

/** The driver selectDriver gives for these settings, without making it; `fallback` when "auto" settled for process. */
export async function plannedDriver(settings: SupervisorSettings, locations: DriverLocations = {}): Promise<{ name: SandboxDriver["name"]; fallback: boolean }> {
  if (settings.driver !== "auto") return { name: settings.driver, fallback: false };
  const usable = await createBwrapDriver(locations.bwrapPath ? { bwrapPath: locations.bwrapPath } : {}).available();
  return usable ? { name: "bwrap", fallback: false } : { name: "process", fallback: true };
}

/**
 * The sandbox driver the config asks for, checked to work on this machine. "auto" is bwrap
 * when it can make a sandbox here, else the unisolated process driver with a warning (which
 * then runs worker jobs only with runner.allowUnisolated; see the runner's lane gate).
 */
export async function selectDriver(settings: SupervisorSettings, logger: Logger, locations: DriverLocations = {}): Promise<SandboxDriver> {
  const bwrap = () => createBwrapDriver({ logger, limits: settings.bwrap, ...(locations.bwrapPath ? { bwrapPath: locations.bwrapPath } : {}) });
  switch (settings.driver) {
    case "process":
      return createProcessDriver({ logger, limits: settings.bwrap });
    case "bwrap": {
      const driver = bwrap();
      if (await driver.available()) return driver;
      throw failedPrecondition(
        `runner.driver is "bwrap" but bubblewrap cannot make a sandbox on this machine; ${INSTALL_BWRAP_HINT}, or set runner.driver to "process" (no isolation)`,
      );
    }
    case "docker": {
      const driver = createDockerDriver({ ...settings.docker, logger, ...(locations.dockerHost ? { dockerHost: locations.dockerHost } : {}) });
      if (await driver.available()) return driver;
      const host = locations.dockerHost ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
      throw failedPrecondition(
        `runner.driver is "docker" but no container engine answers at ${host}; start Docker (or podman: bash scripts/container-engine.sh) and set DOCKER_HOST, or choose another runner.driver`,
      );
    }
    case "kubernetes":
      return kubernetesDriver(settings, logger);
    case "auto": {
      const driver = bwrap();
      if (await driver.available()) {
        logger.info({ driver: "bwrap" }, "sandbox driver: bwrap");
        return driver;
      }
      logger.warn(
        { driver: "process" },
        `sandbox driver: process, with NO isolation (commands run on this host with the runner's rights) because bubblewrap is not usable, so worker jobs run only with runner.allow_unisolated = true; ${INSTALL_BWRAP_HINT}, or set runner.driver to "docker"`,
      );
      return createProcessDriver({ logger, limits: settings.bwrap });
    }
  }
}

/** The kubernetes driver is another module, loaded only when chosen (it brings the kubernetes client). */
const KUBERNETES_MODULE = "./kubernetes/kubernetes-driver.js";

interface KubernetesModule {
  createKubernetesDriver(settings: SupervisorSettings, logger: Logger): SandboxDriver;
}

async function kubernetesDriver(settings: SupervisorSettings, logger: Logger): Promise<SandboxDriver> {
  let loaded: Partial<KubernetesModule>;
  try {
    // A computed specifier: the module does not exist until it is built, and must not break type-checking.
    loaded = (await import(/* @vite-ignore */ KUBERNETES_MODULE)) as Partial<KubernetesModule>;
  } catch (error) {
    // Only the module itself missing means "not built"; a missing import inside it is a real failure.
    const notFound = /Cannot find (?:module|package) '([^']*)'/.exec(String(error))?.[1] ?? "";
    const missing = (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && notFound.includes("kubernetes-driver");
    if (missing) {
      throw failedPrecondition(`kubernetes driver not built yet; choose runner.driver "bwrap", "docker" or "process"`);
    }
    throw error;
  }
  if (typeof loaded.createKubernetesDriver !== "function") {
    throw failedPrecondition(`${KUBERNETES_MODULE} does not export createKubernetesDriver(settings, logger); the kubernetes driver is incomplete`);
  }
  const driver = loaded.createKubernetesDriver(settings, logger);
  if (await driver.available()) return driver;
  throw failedPrecondition(`runner.driver is "kubernetes" but no cluster is reachable; set runner.kubernetes.kubeconfig (PUSHPALS_KUBECONFIG) or choose another runner.driver`);
}
