import { ChatService } from "../../gen/pushpals/v1/chat_pb.js";
import { createModelClient } from "../../shared/llm/model-client.js";
import type { ServiceContext, ServiceDefinition } from "../../shared/service-definition.js";
import { loadChatPrompts } from "./chat-prompts.js";
import { chatRpc, type ChatDeps } from "./send-rpc.js";

/**
 * Chat ingress: ChatService.Send on the routes, no loop of its own. The model client and the
 * prompts are made on the first Send and shared after.
 */
export function createChatService(options: { promptsDir?: string } = {}): ServiceDefinition {
  let shared: Promise<ChatDeps> | undefined;
  const depsOf = (context: ServiceContext): Promise<ChatDeps> => {
    shared ??= buildDeps(context, options.promptsDir).catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
    return shared;
  };
  return {
    name: "chat",
    routes(router, context) {
      router.service(
        ChatService,
        chatRpc(() => depsOf(context())),
      );
    },
  };
}

export const chatService: ServiceDefinition = createChatService();

async function buildDeps(context: ServiceContext, promptsDir: string | undefined): Promise<ChatDeps> {
  const { config, clients, logger } = context;
  return {
    clients,
    logger,
    model: createModelClient(config.llm, "chat", logger),
    prompts: await loadChatPrompts(promptsDir),
    repoPath: config.repo.path || process.cwd(),
    baseBranch: config.repo.baseBranch,
  };
}
