import { z } from "zod";
import type { Config } from "../../shared/config/schema.js";
import { errorMessage } from "../../shared/errors.js";
import { createEngineClient } from "../../sandbox/docker/engine-client.js";
import { broken, ok, skipped, type Probe } from "./probe.js";

const engineVersion = z.object({ Version: z.string(), Components: z.array(z.object({ Name: z.string() })).optional() });

/** The Docker Engine API at DOCKER_HOST: needed by the docker driver, shown for the others. */
export function engineProbe(config: Config): Probe {
  return {
    name: "container engine",
    async run(signal) {
      const engine = createEngineClient();
      const needed = config.runner.driver === "docker";
      if (!(await engine.ping(3000))) {
        const detail = `nothing answers at ${engine.host}`;
        if (!needed) return skipped(`${detail} (only runner.driver = "docker" needs an engine)`);
        return broken(detail, "start Docker (or podman: bash scripts/container-engine.sh) and set DOCKER_HOST to its socket");
      }
      try {
        const version = engineVersion.parse(await engine.call("GET", "/version", undefined, signal));
        const podman = version.Components?.some((component) => /podman/i.test(component.Name)) ? "podman " : "";
        return ok(`${podman}${version.Version} answers at ${engine.host}`);
      } catch (error) {
        return broken(
          `${engine.host} answers /_ping but not /version: ${errorMessage(error)}`,
          "check that DOCKER_HOST points at a Docker Engine API (Docker, or podman system service)",
        );
      }
    },
  };
}
