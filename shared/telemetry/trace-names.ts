import type { ServiceName } from "../service-definition.js";

/** The instrumentation scope of every PushPals span. */
export const TRACER_NAME = "pushpals";

/** Which PushPals service a span belongs to: under `pushpals up` one process runs them all, so service.name cannot say. */
export const SERVICE_ATTRIBUTE = "pushpals.service";

const OWNERS: Record<string, ServiceName> = {
  "pushpals.v1.ChatService": "chat",
  "pushpals.v1.PlanningService": "planner",
  "pushpals.v1.IntegrationService": "integration",
};

/** The service that owns an RPC service's type; the control plane (sessions) owns the rest. */
export function serviceOfRpc(typeName: string): ServiceName {
  return OWNERS[typeName] ?? "sessions";
}
