import { selectDriver } from "../../../sandbox/select-driver.js";
import type { Config } from "../../../shared/config/schema.js";
import type { Logger } from "../../../shared/log.js";
import { hostRunCheck } from "./host-run-check.js";
import type { RunCheck } from "./run-check.js";
import { allowedEnvironment } from "../../../shared/secret-environ.js";
import { sandboxRunCheck } from "./sandbox-run-check.js";

/** How checks run, and how to clean up after a crashed predecessor. */
export interface CheckRunner {
  runCheck: RunCheck;
  /** "host" or the sandbox driver's name, for logs and status. */
  where: string;
  /** Removes sandboxes an earlier integrator with the same owner left behind; returns how many. */
  sweep(): Promise<number>;
}

/**
 * From `integration.checkDriver`: "host" runs checks on this host; "runner" uses the
 * sandbox driver [runner] names; any other value is that driver, with the
 * supervisor's driver settings (docker image, limits, ...). A driver that cannot run
 * here is a FailedPrecondition from selectDriver that says what to install.
 */
export async function checkRunnerFromConfig(config: Config, owner: string, logger: Logger): Promise<CheckRunner> {
  const choice = config.integration.checkDriver;
  if (choice === "host") return { runCheck: hostRunCheck, where: "host", sweep: async () => 0 };
  const driver = await selectDriver({ ...config.runner, driver: choice === "runner" ? config.runner.driver : choice }, logger);
  const runCheck = sandboxRunCheck({
    driver,
    owner,
    env: allowedEnvironment(config.runner.envAllowList),
    network: config.integration.checkNetwork,
  });
  return { runCheck, where: driver.name, sweep: () => driver.sweep(owner) };
}
