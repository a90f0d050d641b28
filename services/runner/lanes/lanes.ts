import type { AgentConfig } from "../../../shared/config/sections/agent.js";
import { agentSection } from "../../../shared/config/sections/agent.js";
import type { Config } from "../../../shared/config/schema.js";
import { errorMessage, failedPrecondition } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/log.js";
import { agentBackend } from "../agent/backend.js";
import { NO_MODEL_SOCKET } from "../../../sandbox/kubernetes/model-access.js";
import { deterministicLane } from "./deterministic-lane.js";
import type { Lane } from "./lane.js";
import { unavailableWorkerLane, workerLane } from "./worker-lane.js";

/**
 * The [agent] section when the config has one, else its defaults. The kernel's config schema
 * does not carry [agent] yet; once it does this reads it.
 */
export function agentSettings(config: Config): AgentConfig {
  const withAgent: Config & { agent?: AgentConfig } = config;
  return withAgent.agent ?? agentSection.parse({});
}

/**
 * Both lanes. The worker lane's agent is set up once here (prompts loaded, model client made);
 * if that fails, or its sandboxes could not reach the model, every worker job fails saying why,
 * while deterministic jobs still run.
 */
export async function makeLanes(config: Config, logger: Logger): Promise<Record<Lane["name"], Lane>> {
  const agent = agentSettings(config);
  let worker: Lane;
  try {
    const backend = await agentBackend({ agent, llm: config.llm }, logger);
    if (backend.needsModelSocket && config.runner.driver === "kubernetes") throw failedPrecondition(NO_MODEL_SOCKET);
    worker = workerLane(backend, { runner: config.runner, agent });
  } catch (error) {
    logger.error({ err: error }, "the coding agent could not be set up; worker jobs will fail until it can");
    worker = unavailableWorkerLane(errorMessage(error));
  }
  return { deterministic: deterministicLane, worker };
}
