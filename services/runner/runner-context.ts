import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import type { Clients } from "../../shared/clients.js";
import type { Config } from "../../shared/config/schema.js";
import type { DependencyCache } from "./environment/dependency-cache.js";
import type { Logger } from "../../shared/log.js";
import type { ChangePolicy } from "../../shared/policy/index.js";
import type { SandboxDriver } from "../../sandbox/driver.js";
import type { CommitIdentity, StartPoint, WorktreePool } from "./workspace/index.js";
import type { GitDirGuard } from "./git-dir-guard.js";
import type { Lane } from "./lanes/lane.js";

/** What every job of one runner shares. */
export interface RunnerContext {
  clients: Clients;
  workerId: string;
  /** The repository jobs work on. */
  repo: string;
  /** Where job worktrees come from (warm spares, else fresh ones under <dataDir>/worktrees/<worker>). */
  workspaces: WorktreePool;
  /** The base when a job names none (repo.baseBranch). */
  baseBranch: string;
  /** Where a job that names no base_ref starts (runner.base: the integration branch or the base). */
  startPoint(signal?: AbortSignal): Promise<StartPoint>;
  supervisor: Config["runner"];
  driver: SandboxDriver;
  lanes: Record<Lane["name"], Lane>;
  /** The whole environment of every sandbox (from runner.envAllowList). */
  sandboxEnv: Record<string, string>;
  identity: CommitIdentity;
  /** Fingerprints the repository's git control files around each job and restores them. */
  gitDirGuard: GitDirGuard;
  /** [environment]: the setup phase of repositories without their own .pushpals/environment.toml. */
  environment: Config["environment"];
  /** Ready environments of earlier jobs (<dataDir>/environments), reused by the setup phase. */
  environments: DependencyCache;
  /** The operator's [policy], held against every change before it is staged. */
  policy: ChangePolicy;
  /** [approvals]: its `command` rules are asked before the agent runs a matching command. */
  approvals: Config["approvals"];
  logger: Logger;
}

/** A job this runner holds under a lease. */
export interface ClaimedJob {
  item: QueueItem;
  leaseToken: string;
  leaseExpiresAt: number;
}

/** How a job's run ended, for the runner's bookkeeping and tests. */
export type JobEnding = "completed" | "failed" | "retrying" | "cancelled" | "lease_lost" | "unreported";
