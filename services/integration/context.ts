import type { Logger } from "../../shared/log.js";
import type { Clock } from "../../shared/time.js";
import type { RunCheck } from "./checks/run-check.js";
import type { PullRequestProvider } from "./pull-requests/provider.js";
import type { IntegrationRefs } from "./refs.js";
import type { Remote } from "./remote.js";
import type { IntegrationSettings } from "./settings.js";

/** What every integration step works with; built once by openIntegrator. */
export interface IntegrationContext {
  settings: IntegrationSettings;
  refs: IntegrationRefs;
  /** Path of the integration worktree. */
  worktree: string;
  /** Undefined when integration.remote is empty (nothing is fetched or pushed). */
  remote: Remote | undefined;
  /** GIT_AUTHOR_* / GIT_COMMITTER_* for the commits integration makes. */
  identity: Record<string, string>;
  runCheck: RunCheck;
  pullRequests: PullRequestProvider | undefined;
  log: Logger;
  clock: Clock;
}
