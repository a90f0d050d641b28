import type { Candidate } from "../../../../gen/pushpals/v1/autonomy_pb.js";
import type { Clients } from "../../../../shared/clients.js";
import type { AutonomySection } from "../../../../shared/config/sections/autonomy.js";
import type { RunRepoCommand } from "../sandboxed-command.js";

/** What every collector may read. */
export interface CollectContext {
  clients: Clients;
  config: AutonomySection;
  repoPath: string;
  baseBranch: string;
  /** The base branch exported to a scratch folder, shared by the collectors of one pass. */
  baseTree(): Promise<string>;
  /** Runs a configured command on the base tree, in a sandbox. */
  runCommand: RunRepoCommand;
  signal: AbortSignal;
}

/**
 * One source of candidate objectives. A collector only reports what it saw (with evidence and
 * its own risk and size estimates); scoring, cooldowns and gates are decided elsewhere.
 */
export interface Collector {
  /** The config kind it produces (autonomy.kinds.<kind>). */
  readonly kind: "failing_test" | "flaky_check" | "lint" | "todo" | "outdated" | "failed_request";
  collect(context: CollectContext): Promise<Candidate[]>;
}
