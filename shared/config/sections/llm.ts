import { z } from "zod";

/** Empty (unset) or an http(s) URL; caught at start-up rather than on the first model call. */
const baseUrl = z
  .string()
  .refine(
    (value) => value === "" || (/^https?:\/\//i.test(value) && URL.canParse(value)),
    "must be an http(s) URL of an OpenAI-compatible API, e.g. http://localhost:11434/v1, or empty",
  );
const timeoutSeconds = z.coerce.number().min(1).max(3600);
const maxRetries = z.coerce.number().int().min(0).max(10);

const endpoint = z.strictObject({
  /** An OpenAI-compatible endpoint, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
  baseUrl: baseUrl.default(""),
  model: z.string().default(""),
  apiKey: z.string().default(""),
  /** Per attempt; a timed-out attempt counts as one of the retries. */
  timeoutSeconds: timeoutSeconds.default(120),
  /** Retries on 408/409/429/5xx and connection failures, with exponential backoff. */
  maxRetries: maxRetries.default(3),
});

/** A role's overrides: any field left out (or empty) falls back to the shared endpoint. */
const roleOverride = z.strictObject({
  baseUrl: baseUrl.optional(),
  model: z.string().optional(),
  apiKey: z.string().optional(),
  timeoutSeconds: timeoutSeconds.optional(),
  maxRetries: maxRetries.optional(),
});

/** One shared endpoint; each role (chat, planner, agent) may override any field. */
export const llmSection = endpoint.extend({
  chat: roleOverride.prefault({}),
  planner: roleOverride.prefault({}),
  agent: roleOverride.prefault({}),
});

export const llmEnv = {
  PUSHPALS_LLM_BASE_URL: "llm.baseUrl",
  PUSHPALS_LLM_MODEL: "llm.model",
  PUSHPALS_LLM_API_KEY: "llm.apiKey",
  PUSHPALS_LLM_TIMEOUT_SECONDS: "llm.timeoutSeconds",
  PUSHPALS_LLM_MAX_RETRIES: "llm.maxRetries",
  PUSHPALS_CHAT_LLM_BASE_URL: "llm.chat.baseUrl",
  PUSHPALS_CHAT_LLM_MODEL: "llm.chat.model",
  PUSHPALS_CHAT_LLM_API_KEY: "llm.chat.apiKey",
  PUSHPALS_PLANNER_LLM_BASE_URL: "llm.planner.baseUrl",
  PUSHPALS_PLANNER_LLM_MODEL: "llm.planner.model",
  PUSHPALS_PLANNER_LLM_API_KEY: "llm.planner.apiKey",
  PUSHPALS_AGENT_LLM_BASE_URL: "llm.agent.baseUrl",
  PUSHPALS_AGENT_LLM_MODEL: "llm.agent.model",
  PUSHPALS_AGENT_LLM_API_KEY: "llm.agent.apiKey",
} as const;
