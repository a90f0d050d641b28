import type { EnvironmentSection } from "../../../shared/config/sections/environment.js";
import { runHostGit } from "../../../shared/git/host-git.js";
import { JobFailure } from "../job-failure.js";
import { detectSetup, LOCKFILES } from "./detect.js";
import { ENVIRONMENT_FILE, type JobEnvironment } from "./job-environment.js";
import { parseRepositorySpec } from "./repository-spec.js";

export interface ResolveOptions {
  repo: string;
  /** The job's base commit: the spec and the lockfiles are read from it, not from a worktree a job may have changed. */
  baseSha: string;
  config: EnvironmentSection;
  signal?: AbortSignal;
}

/**
 * The job's environment: the repository's .pushpals/environment.toml at the base commit, else
 * [environment] in config when it has setup commands, else what the lockfiles say. Undefined
 * when there is nothing to set up (or the operator turned environments off).
 */
export async function resolveEnvironment(options: ResolveOptions): Promise<JobEnvironment | undefined> {
  const { config } = options;
  if (!config.enabled) return undefined;
  const blobs = await rootBlobs(options);
  const lockfiles = Object.fromEntries(LOCKFILES.flatMap((file) => (blobs.has(file) ? [[file, blobs.get(file)!]] : [])));
  const specBlob = blobs.get(ENVIRONMENT_FILE);
  if (specBlob !== undefined) {
    const text = (await runHostGit(["cat-file", "blob", specBlob], gitOptions(options))).stdout;
    const spec = parseRepositorySpec(text, options.baseSha);
    const refused = spec.setupSecrets.filter((name) => !config.secretAllowList.includes(name));
    if (refused.length > 0) {
      throw new JobFailure(
        `${ENVIRONMENT_FILE}: setup_secrets names ${refused.join(", ")}, which the operator does not allow; ` +
          `add ${refused.length === 1 ? "it" : "them"} to environment.secret_allow_list in the runner's config, or remove ${refused.length === 1 ? "it" : "them"} from the file`,
        "final",
      );
    }
    return { source: "repository", description: `${ENVIRONMENT_FILE} at ${options.baseSha.slice(0, 12)}`, ...spec, lockfiles };
  }
  if (config.setup !== undefined) {
    const { setup, setupSecrets, maintenance, cache, image, env, setupBudgetSeconds } = config;
    return { source: "config", description: "[environment] in the runner's config", setup, setupSecrets, maintenance, cache, image, env, setupBudgetSeconds, lockfiles };
  }
  const detected = detectSetup(new Set(blobs.keys()));
  if (detected.length === 0) return undefined;
  return {
    source: "detected",
    description: `no ${ENVIRONMENT_FILE}; detected ${detected.map((found) => `${found.file} → ${found.setup.join(" && ")}`).join(", ")}`,
    setup: detected.flatMap((found) => found.setup),
    setupSecrets: [],
    maintenance: [],
    cache: [...new Set(detected.flatMap((found) => found.cache))],
    image: config.image,
    env: config.env,
    setupBudgetSeconds: config.setupBudgetSeconds,
    lockfiles,
  };
}

const gitOptions = (options: ResolveOptions) => ({ cwd: options.repo, ...(options.signal ? { signal: options.signal } : {}) });

/** Blob ids of the root's lockfiles and of the environment file, at the base commit. */
async function rootBlobs(options: ResolveOptions): Promise<Map<string, string>> {
  const paths = [...LOCKFILES, ENVIRONMENT_FILE];
  const { stdout } = await runHostGit(["ls-tree", "-z", options.baseSha, "--", ...paths], gitOptions(options));
  const blobs = new Map<string, string>();
  for (const entry of stdout.split("\0")) {
    const match = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(entry);
    if (match) blobs.set(match[2]!, match[1]!);
  }
  return blobs;
}
