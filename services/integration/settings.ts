import { join } from "node:path";
import type { Config } from "../../shared/config/schema.js";
import { failedPrecondition } from "../../shared/errors.js";
import { changePolicy, type ChangePolicy } from "../../shared/policy/index.js";
import { assertBranchName } from "./git/validate.js";
import { git } from "./git/run-git.js";

export type MergeStrategy = "cherry-pick" | "no-ff" | "ff-only";

export interface CheckSpec {
  name: string;
  command: string;
  timeoutMs: number;
}

/** Everything the integration core needs, resolved from the config and validated once. */
export interface IntegrationSettings {
  /** The repository the supervisor commits to; the integration worktree is a worktree of it. */
  repoPath: string;
  /** Holds the worktree's lock and the askpass helper. */
  dataDir: string;
  /** Holds the integration worktree, and the runners' job worktrees (storage.workDir). */
  workDir: string;
  baseBranch: string;
  branch: string;
  strategy: MergeStrategy;
  /** Empty: no remote; the local branches are the truth and nothing is pushed. */
  remote: string;
  checks: CheckSpec[];
  /** integration.checks was left unset: the worker puts the repository's detected test command in `checks`. */
  detectChecks?: boolean;
  push: { username: string; token: string };
  committer: { name: string; email: string };
  pullRequests: { provider: "none" | "github"; repository: string; apiUrl: string; token: string };
  /** The operator's [policy], re-checked on every completion before it is applied; absent: [policy]'s defaults. */
  policy?: ChangePolicy;
  /** Delete a job's agent/ branch once its completion is merged or finally failed (integration.deleteJobBranches). */
  deleteJobBranches: boolean;
}

export function settingsFromConfig(config: Config): IntegrationSettings {
  const section = config.integration;
  return {
    repoPath: config.repo.path,
    dataDir: config.storage.dataDir,
    workDir: config.storage.workDir,
    baseBranch: config.repo.baseBranch,
    branch: section.branch,
    strategy: section.strategy,
    remote: section.remote,
    checks: (section.checks ?? []).map((c) => ({ name: c.name, command: c.command, timeoutMs: c.timeoutSeconds * 1000 })),
    detectChecks: section.checks === undefined,
    push: { username: section.pushUsername, token: section.pushToken || section.pullRequests.token },
    committer: { name: section.committerName, email: section.committerEmail },
    pullRequests: { ...section.pullRequests },
    policy: changePolicy(config.policy),
    deleteJobBranches: section.deleteJobBranches,
  };
}

/** Start-up checks that need git: branch names, the remote, the repository itself. */
export async function validateSettings(settings: IntegrationSettings): Promise<void> {
  await assertBranchName("integration.branch", settings.branch);
  await assertBranchName("repo.baseBranch", settings.baseBranch);
  if (settings.branch === settings.baseBranch) {
    throw failedPrecondition(`integration.branch and repo.baseBranch are both "${settings.branch}"; pick a separate integration branch such as main_agents`);
  }
  try {
    await git(settings.repoPath, ["rev-parse", "--git-dir"]);
  } catch {
    throw failedPrecondition(`repo.path ${settings.repoPath} is not a git repository; point PUSHPALS_REPO at one`);
  }
  if (settings.remote !== "") {
    const url = await git(settings.repoPath, ["config", "--get", `remote.${settings.remote}.url`], {}).catch(() => "");
    if (url === "") {
      throw failedPrecondition(
        `integration.remote "${settings.remote}" is not a remote of ${settings.repoPath}; add it with git remote add, or set integration.remote = "" to not push`,
      );
    }
  }
  if (settings.pullRequests.provider !== "none" && settings.remote === "") {
    throw failedPrecondition(`integration.pullRequests.provider = "${settings.pullRequests.provider}" needs a remote to push to; set integration.remote`);
  }
}

export function worktreePath(settings: IntegrationSettings): string {
  return join(settings.workDir, "integration");
}
