import { z } from "zod";

const endpoint = z.strictObject({
  /** An OpenAI-compatible endpoint, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
  baseUrl: z.string().default(""),
  model: z.string().default(""),
  apiKey: z.string().default(""),
  timeoutSeconds: z.coerce.number().min(1).max(3600).default(120),
  maxRetries: z.coerce.number().int().min(0).max(10).default(3),
});

/** A role's overrides: any field left out falls back to the shared endpoint. */
const roleOverride = z.strictObject({
  baseUrl: z.string().optional(),
  model: z.string().optional(),
  apiKey: z.string().optional(),
  timeoutSeconds: z.coerce.number().min(1).max(3600).optional(),
  maxRetries: z.coerce.number().int().min(0).max(10).optional(),
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
