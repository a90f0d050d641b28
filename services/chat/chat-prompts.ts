import { loadPromptSet, promptsDir, type PromptSet } from "../../shared/prompts.js";

/** Every prompt chat sends, each a file `prompts/chat/<name>.md`, with the variables it may use. */
export const CHAT_PROMPTS = {
  ask: ["repo_name", "base_branch"],
} as const;

export type ChatPrompts = PromptSet<typeof CHAT_PROMPTS>;

export function loadChatPrompts(dir = promptsDir("chat")): Promise<ChatPrompts> {
  return loadPromptSet(dir, CHAT_PROMPTS);
}
