import type { Clients } from "../../shared/clients.js";
import type { ModelMessage } from "../../shared/llm/model.js";
import type { PlannerPrompts } from "./planner-prompts.js";
import { readRepoContext, type RepoContextLimits } from "./repo-context.js";
import { readConversationContext, type ConversationLimits } from "./session-context.js";

/** What is being planned: the person's words and, when it came from chat, where. */
export interface PlanInput {
  text: string;
  sessionId?: string;
  /** The message the request came from; history is read up to it. */
  messageSeq?: bigint;
}

export interface PromptSources {
  clients: Clients;
  prompts: PlannerPrompts;
  repoPath: string;
  baseBranch: string;
  repoLimits: RepoContextLimits;
  conversationLimits: ConversationLimits;
}

export async function buildPlanMessages(sources: PromptSources, input: PlanInput, signal: AbortSignal): Promise<ModelMessage[]> {
  const beforeSeq = input.messageSeq ? input.messageSeq : undefined;
  const [repo, conversation] = await Promise.all([
    readRepoContext(sources.repoPath, signal, sources.repoLimits),
    readConversationContext(sources.clients, { sessionId: input.sessionId, beforeSeq }, signal, sources.conversationLimits),
  ]);
  return [
    { role: "system", content: sources.prompts.render("system", {}) },
    {
      role: "user",
      content: sources.prompts.render("request", {
        request_text: input.text,
        base_branch: sources.baseBranch,
        tree_summary: repo.treeSummary,
        git_status: repo.gitStatus,
        recent_jobs: conversation.recentJobs,
        recent_messages: conversation.recentMessages,
      }),
    },
  ];
}
