import type { Config } from "../../../shared/config/schema.js";
import type { Logger } from "../../../shared/log.js";
import { INSTALL_BWRAP_HINT } from "../../../sandbox/bwrap-driver.js";
import type { SandboxDriver } from "../../../sandbox/driver.js";
import { JobFailure } from "../job-failure.js";
import type { Lane } from "./lane.js";

/** The ways out, for the job's error, the runner's log and the start-up banner alike. */
export const UNISOLATED_WAYS_OUT =
  `${INSTALL_BWRAP_HINT}, set runner.driver = "docker", or set runner.allow_unisolated = true (PUSHPALS_ALLOW_UNISOLATED=true) ` +
  "knowing that the agent's commands then run on this host with the runner's rights";

/** Why a worker job is refused under the process driver without the opt-in, and what to do. */
export const UNISOLATED_REFUSAL =
  "worker jobs (the coding agent) do not run under the process driver, whose commands run on this host with the runner's rights " +
  `(they could read its files and secrets and change the repository's .git); ${UNISOLATED_WAYS_OUT}`;

/**
 * The lanes a runner on `driver` may use. The process driver isolates nothing, so a model's
 * commands get the runner's rights: the worker lane runs there only with
 * runner.allowUnisolated, whether the process driver was chosen or is auto's fallback.
 * Without it worker jobs fail for good at once; deterministic jobs (the operator's own scripts) run.
 */
export function gateUnisolatedLanes(lanes: Record<Lane["name"], Lane>, driver: SandboxDriver, supervisor: Config["runner"], logger: Logger): Record<Lane["name"], Lane> {
  if (driver.name !== "process") return lanes;
  if (supervisor.allowUnisolated) {
    logger.warn(
      "worker jobs run under the process driver with NO isolation (runner.allow_unisolated = true): the coding agent's commands run on this host with the runner's rights",
    );
    return lanes;
  }
  logger.warn(`the process driver runs deterministic jobs only; ${UNISOLATED_REFUSAL}`);
  return { ...lanes, worker: refusedWorkerLane };
}

const refusedWorkerLane: Lane = {
  name: "worker",
  needsModelSocket: false,
  async run() {
    throw new JobFailure(UNISOLATED_REFUSAL, "final");
  },
};
