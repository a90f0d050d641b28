import type { Config } from "../kernel/config/schema.js";
import type { Bus } from "../kernel/bus/bus.js";
import type { Logger } from "../kernel/log.js";
import type { Store } from "../kernel/store/store.js";
import type { Commit } from "./commit.js";
import type { SessionHub } from "./session-hub.js";

/** What the control plane's handlers share: explicit, built once in serve-control-plane.ts. */
export interface ControlPlaneDeps {
  store: Store;
  bus: Bus;
  /** Live session events, shared by every local stream. */
  hub: SessionHub;
  commit: Commit;
  config: Config;
  logger: Logger;
  startedAt: number;
  version: string;
}
