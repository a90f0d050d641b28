import type { Config } from "../shared/config/schema.js";
import { describeEndpoint, endpointProblem, resolveRoleEndpoint } from "../shared/llm/role-endpoint.js";

/**
 * One line for the start-up banner: the model the work runs on (planner and agent, the roles
 * without which a message cannot become a commit), or what is missing. Without it, the first
 * sign of a missing model would be a failed request after the person asked for something.
 */
export function modelSummary(llm: Config["llm"]): string {
  const planner = resolveRoleEndpoint(llm, "planner");
  const agent = resolveRoleEndpoint(llm, "agent");
  for (const endpoint of [planner, agent]) {
    const problem = endpointProblem(endpoint);
    if (problem) return `not ready: ${problem.rawMessage}; until then only status questions and scripted jobs run`;
  }
  if (planner.baseUrl === agent.baseUrl && planner.model === agent.model) {
    return `${planner.model} at ${planner.baseUrl || "https://api.openai.com/v1"}`;
  }
  return `${describeEndpoint(planner)}; ${describeEndpoint(agent)}`;
}
