import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ApprovalService } from "../gen/pushpals/v1/approvals_pb.js";
import { AutonomyService } from "../gen/pushpals/v1/autonomy_pb.js";
import { ChatService } from "../gen/pushpals/v1/chat_pb.js";
import { ExecutionService } from "../gen/pushpals/v1/execution_pb.js";
import { IntegrationService } from "../gen/pushpals/v1/integration_pb.js";
import { PlanningService } from "../gen/pushpals/v1/planning_pb.js";
import { QueueService } from "../gen/pushpals/v1/queues_pb.js";
import { SessionService } from "../gen/pushpals/v1/sessions_pb.js";
import { SystemService } from "../gen/pushpals/v1/system_pb.js";
import { observeStream } from "./rpc/stream-hooks.js";
import { propagateTraceContext } from "./telemetry/trace-interceptors.js";

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

export interface ClientOptions {
  /** Bearer token for mutating RPCs (PUSHPALS_AUTH_TOKEN). */
  token?: string;
  /** HTTP/2 (default) multiplexes every call and stream over one connection. */
  httpVersion?: "1.1" | "2";
  /** More interceptors, inside ours (tests hold or fail chosen calls with them). */
  interceptors?: Interceptor[];
}

/**
 * A server that dies mid-call (kill -9, a crash) takes its HTTP/2 connection along, and Node
 * closes the call's stream with RST_STREAM CANCEL, which connect-node reports as Canceled. We
 * cancelled nothing (our signal would say so), so it is Unavailable: the code every caller
 * treats as "the server is not there right now; retry", as it does for a refused connection.
 */
const lostConnectionIsUnavailable: Interceptor = (next) => async (req) => {
  const relabel = (error: unknown) =>
    error instanceof ConnectError && error.code === Code.Canceled && !req.signal.aborted
      ? new ConnectError(`${error.rawMessage}: the connection to the server was lost`, Code.Unavailable, error.metadata, undefined, error)
      : error;
  try {
    const res = await next(req);
    if (!res.stream) return res;
    return { ...res, message: observeStream(res.message, { onError: relabel }) };
  } catch (error) {
    throw relabel(error);
  }
};

export function createTransport(baseUrl: string, options: ClientOptions = {}): Transport {
  const interceptors: Interceptor[] = [lostConnectionIsUnavailable, propagateTraceContext];
  if (options.token) {
    const header = `Bearer ${options.token}`;
    interceptors.push((next) => (req) => {
      req.header.set("authorization", header);
      return next(req);
    });
  }
  interceptors.push(...(options.interceptors ?? []));
  return createConnectTransport({ baseUrl, httpVersion: options.httpVersion ?? "2", interceptors });
}

export function createClients(baseUrl: string, options: ClientOptions = {}): Clients {
  const transport = createTransport(baseUrl, options);
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
