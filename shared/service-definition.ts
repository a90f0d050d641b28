import type { ConnectRouter } from "@connectrpc/connect";
import type { Clients } from "./clients.js";
import type { Config } from "./config/schema.js";
import type { Logger } from "./log.js";

export type ServiceName = "sessions" | "runner" | "planner" | "chat" | "integration";

/** What a PushPals service gets from whoever runs it (`pushpals up` or `pushpals serve <name>`). */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  /** The control plane's URL; every service talks to it through generated clients only. */
  controlPlaneUrl: string;
  clients: Clients;
}

/**
 * A PushPals service: the RPCs it serves and/or the loop it runs.
 *
 * - One process (`pushpals up`): its routes join the control plane's port and its
 *   loop runs as a supervised child of the tree.
 * - Mesh (`pushpals serve <name>`): its routes get a port of their own and its loop
 *   runs beside them; the control plane's URL comes from config.
 */
export interface ServiceDefinition {
  readonly name: ServiceName;
  /**
   * Registers the RPC services it implements. `context` is available once the
   * process has started (handlers call it per request, never at registration).
   */
  routes?(router: ConnectRouter, context: () => ServiceContext): void;
  /** Its background work (a claim loop, …) until the signal aborts; throwing means "restart me". */
  run?(context: ServiceContext, signal: AbortSignal): Promise<void>;
}
