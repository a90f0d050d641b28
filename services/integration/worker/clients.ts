import type { Clients } from "../../../shared/clients.js";

/** The control-plane clients the worker uses; narrowed so each piece names what it talks to. */
export type QueueClient = Clients["queues"];
export type SessionClient = Clients["sessions"];
