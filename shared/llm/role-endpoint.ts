import type { Config } from "../config/schema.js";
import { failedPrecondition } from "../errors.js";
import type { ConnectError } from "@connectrpc/connect";
import type { ModelRole } from "./model.js";

/** One role's endpoint after the per-role overrides have fallen back to the shared `[llm]` values. */
export interface RoleEndpoint {
  role: ModelRole;
  /** Empty means OpenAI's own API (https://api.openai.com/v1), which then needs an API key. */
  baseUrl: string;
  model: string;
  apiKey: string;
  timeoutMs: number;
  maxRetries: number;
}

export function resolveRoleEndpoint(config: Config["llm"], role: ModelRole): RoleEndpoint {
  const override = config[role];
  return {
    role,
    // An empty override (e.g. `PUSHPALS_PLANNER_LLM_MODEL=`) reads as "not set" rather than "blank".
    baseUrl: override.baseUrl || config.baseUrl,
    model: override.model || config.model,
    apiKey: override.apiKey || config.apiKey,
    timeoutMs: Math.round((override.timeoutSeconds ?? config.timeoutSeconds) * 1000),
    maxRetries: override.maxRetries ?? config.maxRetries,
  };
}

/** Why this endpoint cannot be called, naming the variables to set; undefined when it can. */
export function endpointProblem(endpoint: RoleEndpoint): ConnectError | undefined {
  const role = endpoint.role.toUpperCase();
  if (!endpoint.model) {
    return failedPrecondition(
      `no model configured for the ${endpoint.role} role: set PUSHPALS_${role}_LLM_MODEL or PUSHPALS_LLM_MODEL ` +
        `(or model under [llm] in configs/local.toml), e.g. PUSHPALS_LLM_MODEL=gpt-4o-mini`,
    );
  }
  if (!endpoint.baseUrl && !endpoint.apiKey) {
    return failedPrecondition(
      `no model endpoint configured for the ${endpoint.role} role: set PUSHPALS_${role}_LLM_BASE_URL or ` +
        `PUSHPALS_LLM_BASE_URL (e.g. http://localhost:11434/v1 for Ollama), or set PUSHPALS_LLM_API_KEY to use https://api.openai.com/v1`,
    );
  }
  return undefined;
}

/** Where a message should send a person: the endpoint as configured, or OpenAI's default. */
export function describeEndpoint(endpoint: RoleEndpoint): string {
  return `${endpoint.baseUrl || "https://api.openai.com/v1"} (${endpoint.role} role, model ${endpoint.model})`;
}
