import type { ConnectRouter } from "@connectrpc/connect";
import { ApprovalService } from "../../gen/pushpals/v1/approvals_pb.js";
import { AutonomyService } from "../../gen/pushpals/v1/autonomy_pb.js";
import { ExecutionService } from "../../gen/pushpals/v1/execution_pb.js";
import { QueueService } from "../../gen/pushpals/v1/queues_pb.js";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { SystemService } from "../../gen/pushpals/v1/system_pb.js";
import { approvalService } from "./approval-service.js";
import { autonomyService } from "./autonomy-service.js";
import type { ControlPlaneDeps } from "./deps.js";
import { executionService } from "./execution-service.js";
import { queueService } from "./queue-service.js";
import { sessionService } from "./session-service.js";
import { systemService } from "./system-service.js";

/** The control plane's services on a router. */
export function registerControlPlane(router: ConnectRouter, deps: ControlPlaneDeps): void {
  router.service(SessionService, sessionService(deps));
  router.service(QueueService, queueService(deps));
  router.service(ExecutionService, executionService(deps));
  router.service(SystemService, systemService(deps));
  router.service(ApprovalService, approvalService(deps));
  router.service(AutonomyService, autonomyService(deps));
}
