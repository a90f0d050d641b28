import type { Config } from "../../shared/config/schema.js";
import { errorMessage } from "../../shared/errors.js";
import { createModelClient } from "../../shared/llm/model-client.js";
import type { ModelRole } from "../../shared/llm/model.js";
import { describeEndpoint, endpointProblem, resolveRoleEndpoint } from "../../shared/llm/role-endpoint.js";
import { silentLogger } from "../../shared/log.js";
import { broken, ok, type Probe } from "./probe.js";

/** Probes answer at once or fail: no retries with backoff, a short timeout. */
const PROBE_ENDPOINT = { timeoutSeconds: 15, maxRetries: 0 };

/**
 * The endpoint each role that does the work (planner, agent) resolves to, asked for one token:
 * the address, the key and the model name all have to be right for that to answer.
 */
export function modelProbe(config: Config, role: Extract<ModelRole, "planner" | "agent">): Probe {
  return {
    name: `model (${role})`,
    async run(signal) {
      const llm = { ...config.llm, ...PROBE_ENDPOINT, [role]: { ...config.llm[role], ...PROBE_ENDPOINT } };
      const endpoint = resolveRoleEndpoint(llm, role);
      const problem = endpointProblem(endpoint);
      if (problem) return broken(problem.rawMessage.split(":")[0] ?? problem.rawMessage, fixFrom(problem.rawMessage));
      const model = createModelClient(llm, role, silentLogger);
      const started = Date.now();
      try {
        await model.complete([{ role: "user", content: "Reply with the word OK." }], { signal, maxTokens: 1 });
      } catch (error) {
        return broken(
          `${describeEndpoint(endpoint)} did not answer a one-token request: ${errorMessage(error).split("\n")[0]}`,
          "check the base URL, the model name and the API key (PUSHPALS_LLM_BASE_URL, PUSHPALS_LLM_MODEL, PUSHPALS_LLM_API_KEY)",
        );
      }
      return ok(`${describeEndpoint(endpoint)} answered in ${Date.now() - started} ms`);
    },
  };
}

/** The endpoint's own message ends with what to set; that part is the fix. */
function fixFrom(message: string): string {
  const colon = message.indexOf(": ");
  return colon === -1 ? message : message.slice(colon + 2);
}
