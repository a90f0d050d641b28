import type { ConnectRouter } from "@connectrpc/connect";
import { ChatService } from "../../gen/pushpals/v1/chat_pb.js";
import { IntegrationService } from "../../gen/pushpals/v1/integration_pb.js";
import { PlanningService } from "../../gen/pushpals/v1/planning_pb.js";
import { createTransport } from "../../shared/clients.js";
import type { Config } from "../../shared/config/schema.js";
import { registerForwarding } from "./forwarding.js";

/** In mesh mode, the services that live in other processes but that clients reach through the control plane. */
export function registerMeshForwarding(router: ConnectRouter, mesh: Config["mesh"]): string[] {
  const targets = [
    { service: ChatService, url: mesh.chatUrl },
    { service: PlanningService, url: mesh.plannerUrl },
    { service: IntegrationService, url: mesh.integrationUrl },
  ].filter((target) => target.url !== "");
  for (const { service, url } of targets) registerForwarding(router, service, createTransport(url));
  return targets.map((target) => `${target.service.typeName} → ${target.url}`);
}
