import type { Config } from "../../shared/config/schema.js";
import { errorMessage } from "../../shared/errors.js";
import { silentLogger } from "../../shared/log.js";
import { UNISOLATED_WAYS_OUT } from "../../services/runner/lanes/unisolated-gate.js";
import { selectDriver } from "../../sandbox/select-driver.js";
import { broken, ok, warn, type Probe } from "./probe.js";

/** The driver the runner would pick, made as the runner makes it (each driver checks it can work here). */
export function sandboxProbe(config: Config): Probe {
  return {
    name: "sandbox",
    async run() {
      const settings = config.runner;
      let name: string;
      try {
        name = (await selectDriver(settings, silentLogger)).name;
      } catch (error) {
        const message = errorMessage(error);
        const [detail, ...fix] = message.split("; ");
        return broken(detail ?? message, fix.join("; ") || `choose another runner.driver (now "${settings.driver}")`);
      }
      if (name !== "process") return ok(`${name} driver${settings.driver === "auto" ? " (auto)" : ""} can make sandboxes here`);
      if (settings.allowUnisolated) {
        return warn(
          "process driver, NO isolation: the agent's commands run on this host with your rights (allow_unisolated = true)",
          'use runner.driver = "bwrap" or "docker" for isolation',
        );
      }
      return broken("process driver, NO isolation, so worker jobs (the coding agent) are refused", UNISOLATED_WAYS_OUT);
    },
  };
}
