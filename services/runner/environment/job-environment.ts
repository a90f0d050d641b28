/** A job's environment as the setup phase runs it, whichever way it was found. */
export interface JobEnvironment {
  /** Where it came from: the repository's file at the job's base commit, [environment] in config, or the lockfiles. */
  source: "repository" | "config" | "detected";
  /** For the job's events: what was read or detected and what will run. */
  description: string;
  setup: string[];
  maintenance: string[];
  /** Relative to the worktree, or ~/… (the sandbox's home, see ENVIRONMENT_HOME). */
  cache: string[];
  /** Names of the runner's variables passed to setup commands only. */
  setupSecrets: string[];
  /** Empty: the driver's image. */
  image: string;
  /** Set for setup and agent commands. */
  env: Record<string, string>;
  setupBudgetSeconds: number;
  /** Lockfiles at the base commit → their git blob ids: part of the cache key. */
  lockfiles: Record<string, string>;
}

/**
 * The sandbox's home during setup and the agent phase, inside the worktree (every driver mounts
 * or copies the worktree, nothing else is writable in all of them), so ~/.npm, ~/.cache/pip and
 * ~/go survive from setup to the agent. The runner removes it before the change is inspected.
 */
export const ENVIRONMENT_HOME = ".pushpals-home";

/** The repository's own spec, read from the job's base commit. */
export const ENVIRONMENT_FILE = ".pushpals/environment.toml";
