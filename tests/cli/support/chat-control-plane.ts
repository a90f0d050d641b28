import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { ChatService } from "../../../gen/pushpals/v1/chat_pb.js";
import { Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { AssistantMessageSchema, EventSchema } from "../../../gen/pushpals/v1/events_pb.js";
import { createClients, type Clients } from "../../../shared/clients.js";
import { loadConfig } from "../../../shared/config/load.js";
import { createLogger } from "../../../shared/log.js";
import { serveControlPlane } from "../../../services/control-plane/serve-control-plane.js";
import { tempDir } from "../../support/tmp.js";
import { MessageSource } from "../../../gen/pushpals/v1/kinds_pb.js";

export interface ChatControlPlane {
  url: string;
  clients: Clients;
  /** Every Send the stand-in chat service answered, in order. */
  sent: { sessionId: string; text: string; author: string }[];
  stop(): Promise<void>;
}

/** Messages the stand-in answers itself, like the real chat service answers help and status. */
export const QUICK_ANSWER = /^(help|hello)\b/i;
export const HELP_REPLY = "I can change code in this repository: tell me what to do.";

/**
 * A real control plane (SQLite, in-process bus, port 0) plus a stand-in ChatService on the
 * same port, served through serveControlPlane's extraRoutes: it records the message with
 * PostMessage and either answers at once (recording the assistant message) or enqueues a
 * request, as the real chat service does — everything through the public RPCs.
 */
export interface ChatControlPlaneOptions {
  /** The repository the server says it works on (GetSystemStatus.repo). */
  repo?: string;
  /** Keep the store here (and keep it at stop), so a second server can take over. */
  dataDir?: string;
  port?: number;
  /** Mutating RPCs then need this bearer token. */
  authToken?: string;
}

export async function startChatControlPlane(options: ChatControlPlaneOptions = {}): Promise<ChatControlPlane> {
  const dir = options.dataDir ? { path: options.dataDir, remove: async () => undefined } : await tempDir("pushpals-cli-cp-");
  const config = loadConfig({
    env: { PUSHPALS_PORT: String(options.port ?? 0), ...(options.authToken ? { PUSHPALS_AUTH_TOKEN: options.authToken } : {}) },
    overrides: { "repo.path": options.repo ?? dir.path, "storage.dataDir": dir.path, "storage.databaseUrl": "", "bus.natsUrl": "", "queues.pollSeconds": 1 },
  });
  const controller = new AbortController();
  const sent: ChatControlPlane["sent"] = [];
  let clients: Clients | undefined;
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const served = serveControlPlane(config, controller.signal, {
    logger: createLogger("cli-test-control-plane"),
    extraRoutes: (router) => standInChat(router, () => clients!, sent),
    onListening: listening,
  });
  const started = await Promise.race([url, served.then(() => Promise.reject(new Error("control plane stopped before listening")))]);
  clients = createClients(started, { token: options.authToken });
  return {
    url: started,
    clients,
    sent,
    async stop() {
      controller.abort();
      await served;
      await dir.remove();
    },
  };
}

function standInChat(router: ConnectRouter, clients: () => Clients, sent: ChatControlPlane["sent"]): void {
  router.service(ChatService, {
    async send(req) {
      sent.push({ sessionId: req.sessionId, text: req.text, author: req.author });
      const c = clients();
      const { event } = await c.sessions.postMessage({ sessionId: req.sessionId, text: req.text, author: req.author });
      const messageSeq = event!.seq;
      if (QUICK_ANSWER.test(req.text)) {
        const reply = create(AssistantMessageSchema, { text: HELP_REPLY, source: MessageSource.CHAT, inReplyTo: messageSeq });
        await c.sessions.appendEvents({ sessionId: req.sessionId, events: [create(EventSchema, { payload: { case: "assistantMessage", value: reply } })] });
        return { messageSeq, reply };
      }
      const { item } = await c.queues.enqueue({
        queue: QueueName.REQUESTS,
        sessionId: req.sessionId,
        priority: Priority.INTERACTIVE,
        payload: { kind: { case: "request", value: { text: req.text, messageSeq, origin: "chat" } } },
        idempotencyKey: `message:${req.sessionId}:${messageSeq}`,
      });
      // The real chat service answers with the request's place in the queue.
      const { item: placed } = await c.queues.getItem({ itemId: item!.id });
      return { messageSeq, request: placed };
    },
  });
}
