import type { AgentConfig } from "../../../shared/config/sections/agent.js";
import type { Config } from "../../../shared/config/schema.js";
import type { Logger } from "../../../shared/log.js";
import { createModelClient } from "../../../shared/llm/model-client.js";
import { endpointProblem, resolveRoleEndpoint } from "../../../shared/llm/role-endpoint.js";
import { runAgent } from "./agent-loop.js";
import type { AgentOutcome, AgentRun } from "./agent-types.js";
import { runCommandAgent } from "./command-backend.js";
import { loadAgentPrompts } from "./prompts.js";

/** What the job runner calls for each job; which backend it is was decided once, from config. */
export interface AgentBackend {
  readonly name: AgentConfig["backend"];
  /**
   * Whether the job's sandbox needs a model socket directory: the command backend's CLI reaches
   * its model only through a per-job proxy listening there (sandboxes never get the network).
   */
  readonly needsModelSocket: boolean;
  run(job: AgentRun): Promise<AgentOutcome>;
}

/**
 * The configured backend, with its prompts loaded (a broken prompt file fails here, at start-up).
 * builtin: this repository's loop on the agent role's model. command: `agent.command.template`
 * with the agent role's endpoint behind a per-job proxy, or no model access when none is configured.
 */
export async function agentBackend(config: { agent: AgentConfig; llm: Config["llm"] }, logger: Logger): Promise<AgentBackend> {
  const prompts = await loadAgentPrompts();
  const { agent } = config;
  if (agent.backend === "builtin") {
    const model = createModelClient(config.llm, "agent", logger);
    return { name: "builtin", needsModelSocket: false, run: (job) => runAgent({ ...job, model, prompts }) };
  }
  const endpoint = resolveRoleEndpoint(config.llm, "agent");
  const usable = endpointProblem(endpoint) === undefined;
  if (!usable) logger.warn("no model endpoint for the agent role; the agent CLI gets no model access from PushPals (set PUSHPALS_AGENT_LLM_* to give it one)");
  const model = usable ? { endpoint: { ...endpoint, baseUrl: endpoint.baseUrl || "https://api.openai.com/v1" } } : undefined;
  const settings = { template: agent.command.template, env: agent.command.env, prompts, ...(model ? { model } : {}) };
  return { name: "command", needsModelSocket: usable, run: (job) => runCommandAgent({ ...job, settings }) };
}
