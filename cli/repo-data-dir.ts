import { defaultDataDir, defaultWorkDir } from "../shared/config/data-dir.js";
import type { Config } from "../shared/config/schema.js";

/**
 * The config with its default data and work dirs keyed by the repository's top level rather
 * than the folder PushPals was started in, so `up` in a subfolder finds the same data. Dirs the
 * person set stay as they are.
 */
export function withRepoRoot(config: Config, root: string, env: NodeJS.ProcessEnv = process.env): Config {
  const { storage } = config;
  const dataDefaulted = storage.dataDir === defaultDataDir(config.repo.path, env);
  const workDefaulted = storage.workDir === defaultWorkDir(storage.dataDir, config.repo.path);
  const dataDir = dataDefaulted ? defaultDataDir(root, env) : storage.dataDir;
  const workDir = workDefaulted ? defaultWorkDir(dataDir, root) : storage.workDir;
  return { ...config, repo: { ...config.repo, path: root }, storage: { ...storage, dataDir, workDir } };
}

/** True when the data dir is the default one (where an older PushPals' <repo>/.pushpals database moves to). */
export function isDefaultDataDir(config: Config, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.storage.dataDir === defaultDataDir(config.repo.path, env);
}
