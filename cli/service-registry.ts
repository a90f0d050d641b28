import type { ServiceDefinition, ServiceName } from "../shared/service-definition.js";

/**
 * Every service besides the control plane, loaded on demand so `pushpals serve <one>`
 * loads only what it runs. Order is start order under `pushpals up`.
 */
export const SERVICES: Record<Exclude<ServiceName, "sessions">, () => Promise<ServiceDefinition>> = {
  chat: async () => (await import("../services/chat/chat-service.js")).chatService,
  planner: async () => (await import("../services/planner/planner-service.js")).plannerService,
  runner: async () => (await import("../services/runner/runner-service.js")).runnerService,
  integration: async () => (await import("../services/integration/integration-service.js")).integrationService,
};

export const SERVICE_NAMES = ["sessions", ...Object.keys(SERVICES)] as ServiceName[];

export async function loadServices(names: readonly Exclude<ServiceName, "sessions">[] = Object.keys(SERVICES) as Exclude<ServiceName, "sessions">[]): Promise<ServiceDefinition[]> {
  return Promise.all(names.map((name) => SERVICES[name]()));
}
