import type { Clients } from "../../../shared/clients.js";
import type { AutonomySection } from "../../../shared/config/sections/autonomy.js";
import { errorMessage } from "../../../shared/errors.js";
import type { Logger } from "../../../shared/log.js";
import { durationFromMs, sleep } from "../../../shared/time.js";
import { ALL_COLLECTORS } from "./collectors/all-collectors.js";
import type { Collector } from "./collectors/collector.js";
import { runPass } from "./dispatcher.js";
import type { RunRepoCommand } from "./sandboxed-command.js";

export interface AutonomyLoopDeps {
  clients: Clients;
  config: AutonomySection;
  repoPath: string;
  baseBranch: string;
  holder: string;
  logger: Logger;
  /** Watched for reverts of merged objectives (integration.branch). */
  integrationBranch?: string;
  collectors?: readonly Collector[];
  /** How collectors run configured commands: in sandboxes (sandboxed-command.ts). */
  runCommand: RunRepoCommand;
}

/**
 * Every planner runs this; the dispatch lease makes exactly one of them the dispatcher. The
 * loop wakes every third of the lease: the holder renews (and runs a pass once the interval
 * has passed, renewing during it), the others try to take the lease, which succeeds only once
 * the holder's has expired — a killed holder is replaced one lease length later. On a clean
 * stop the lease is released so another planner takes over at once.
 */
export async function runAutonomyLoop(deps: AutonomyLoopDeps, signal: AbortSignal): Promise<void> {
  const { clients, config, holder, logger } = deps;
  const ttlMs = config.leaseSeconds * 1000;
  const tickMs = Math.max(100, Math.min(ttlMs / 3, config.intervalSeconds * 1000));
  const collectors = deps.collectors ?? ALL_COLLECTORS;
  let holding = false;
  let lastPass = 0;
  const acquire = async () => {
    const { acquired, lease } = await clients.autonomy.acquireDispatchLease({ holder, ttl: durationFromMs(ttlMs) }, { signal });
    if (acquired !== holding)
      logger.info(
        { holder, other: acquired ? undefined : lease?.holder },
        acquired ? "autonomy dispatcher: took the dispatch lease" : "autonomy dispatcher: lost the dispatch lease",
      );
    holding = acquired;
    return acquired;
  };
  try {
    while (!signal.aborted) {
      try {
        if ((await acquire()) && Date.now() - lastPass >= config.intervalSeconds * 1000) {
          lastPass = Date.now();
          await whileRenewing(acquire, tickMs, signal, (passSignal) =>
            runPass(
              {
                clients,
                config,
                collectors,
                runCommand: deps.runCommand,
                repoPath: deps.repoPath,
                baseBranch: deps.baseBranch,
                integrationBranch: deps.integrationBranch,
                holder,
                logger,
              },
              passSignal,
            ),
          );
        }
      } catch (error) {
        if (signal.aborted) break;
        // The control plane restarting, or a FailedPrecondition (switched off, lease lost mid-pass): the next tick tries again.
        logger.warn({ err: errorMessage(error) }, "autonomy pass failed");
      }
      await sleep(tickMs, signal);
    }
  } finally {
    if (holding) await clients.autonomy.releaseDispatchLease({ holder }).catch(() => undefined);
  }
}

/** Runs a pass while renewing the lease every tick; losing it aborts the pass. */
async function whileRenewing<T>(renew: () => Promise<boolean>, tickMs: number, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const pass = new AbortController();
  const stop = () => pass.abort(signal.reason);
  signal.addEventListener("abort", stop, { once: true });
  const timer = setInterval(() => {
    renew()
      .then((held) => {
        if (!held) pass.abort(new Error("the dispatch lease was lost during the pass"));
      })
      .catch(() => undefined);
  }, tickMs);
  try {
    return await work(pass.signal);
  } finally {
    clearInterval(timer);
    signal.removeEventListener("abort", stop);
  }
}
