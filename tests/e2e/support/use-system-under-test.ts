import { afterEach } from "vitest";
import type { Clients } from "../../../shared/clients.js";
import { followWork, type FollowedWork } from "./follow-work.js";
import { startSystem, type SystemOptions, type SystemUnderTest } from "./system-under-test.js";

export interface SystemUnderTestHook {
  /** Starts the system for this test; it is stopped after the test, pass or fail. */
  start(options: SystemOptions): Promise<SystemUnderTest>;
  /**
   * Follows a session of the started system until its merge; a timeout quotes the system's log
   * tail. After a `restart()`, pass the clients it returned.
   */
  follow(sessionId: string, options: { timeoutMs: number; clients?: Clients }): FollowedWork;
}

/**
 * The set-up every whole-system test shares: one system and one followed session per test,
 * both closed in an afterEach. Call it in the describe block. Vitest runs after-hooks last
 * registered first, so a file that stops something the system uses (its own NATS server)
 * registers that afterEach before calling this.
 */
export function useSystemUnderTest(): SystemUnderTestHook {
  let system: SystemUnderTest | undefined;
  let work: FollowedWork | undefined;
  afterEach(async () => {
    work?.close();
    await system?.stop();
    system = work = undefined;
  });
  return {
    async start(options) {
      if (system) throw new Error("useSystemUnderTest: one system per test; this test already started one");
      system = await startSystem(options);
      return system;
    },
    follow(sessionId, options) {
      const started = system;
      if (!started) throw new Error("useSystemUnderTest: start() the system before following a session");
      work = followWork(options.clients ?? started.clients, sessionId, { timeoutMs: options.timeoutMs, describe: () => started.logTail() });
      return work;
    },
  };
}
