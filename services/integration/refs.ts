import type { IntegrationSettings } from "./settings.js";

/** Notes ref holding one merge record (JSON) per merged tip; pushed with the branch, read for the PR body. */
export const NOTES_REF = "refs/notes/pushpals";

export interface IntegrationRefs {
  /** Local integration branch, e.g. refs/heads/main_agents. */
  integration: string;
  /** What "the base" means: the remote's base branch when there is a remote, else the local one. */
  base: string;
  /** Where fetch leaves the remote's integration branch; empty without a remote. */
  remoteIntegration: string;
  notes: string;
}

export function integrationRefs(settings: IntegrationSettings): IntegrationRefs {
  const remote = settings.remote;
  return {
    integration: `refs/heads/${settings.branch}`,
    base: remote ? `refs/remotes/${remote}/${settings.baseBranch}` : `refs/heads/${settings.baseBranch}`,
    remoteIntegration: remote ? `refs/remotes/${remote}/${settings.branch}` : "",
    notes: NOTES_REF,
  };
}
