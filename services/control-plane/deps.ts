import type { Config } from "../../shared/config/schema.js";
import type { Bus } from "./bus/bus.js";
import type { Logger } from "../../shared/log.js";
import type { Store } from "./store/store.js";
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
