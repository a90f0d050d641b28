import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { ApprovalService } from "../gen/pushpals/v1/approvals_pb.js";
import { AutonomyService } from "../gen/pushpals/v1/autonomy_pb.js";
import { ChatService } from "../gen/pushpals/v1/chat_pb.js";
import { ExecutionService } from "../gen/pushpals/v1/execution_pb.js";
import { IntegrationService } from "../gen/pushpals/v1/integration_pb.js";
import { PlanningService } from "../gen/pushpals/v1/planning_pb.js";
import { QueueService } from "../gen/pushpals/v1/queues_pb.js";
import { SessionService } from "../gen/pushpals/v1/sessions_pb.js";
import { SystemService } from "../gen/pushpals/v1/system_pb.js";
import { type ClientOptions, createTransport } from "./client-transport.js";

// Where they always were: callers that need no service of their own import the transport from here too.
export { type ClientOptions, createTransport };

/** Typed clients for every PushPals service: how services (and the CLI) talk to each other. */
export interface Clients {
  sessions: Client<typeof SessionService>;
  queues: Client<typeof QueueService>;
  execution: Client<typeof ExecutionService>;
  system: Client<typeof SystemService>;
  chat: Client<typeof ChatService>;
  planning: Client<typeof PlanningService>;
  integration: Client<typeof IntegrationService>;
  approvals: Client<typeof ApprovalService>;
  autonomy: Client<typeof AutonomyService>;
}

export function createClients(baseUrl: string, options: ClientOptions = {}): Clients {
  return clientsOver(createTransport(baseUrl, options));
}

/** Every service's client over one transport (one HTTP/2 connection for them all). */
export function clientsOver(transport: Transport): Clients {
  return {
    sessions: createClient(SessionService, transport),
    queues: createClient(QueueService, transport),
    execution: createClient(ExecutionService, transport),
    system: createClient(SystemService, transport),
    chat: createClient(ChatService, transport),
    planning: createClient(PlanningService, transport),
    integration: createClient(IntegrationService, transport),
    approvals: createClient(ApprovalService, transport),
    autonomy: createClient(AutonomyService, transport),
  };
}
