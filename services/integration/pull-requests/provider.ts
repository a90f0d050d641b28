/**
 * A code host that can hold the integration branch's pull request. GitHub is the one
 * implementation today; GitLab merge requests or Gitea pulls fit the same two calls.
 */
export interface PullRequestDraft {
  /** Branch the changes are on (the integration branch). */
  head: string;
  /** Branch the pull request targets (the base branch). */
  base: string;
  title: string;
  body: string;
}

export interface PullRequestRef {
  url: string;
  number: number;
  /** Opened by this call (false: an open one was found and reused). */
  created: boolean;
}

export interface PullRequestProvider {
  readonly name: string;
  /**
   * Finds the open pull request from head into base, or opens one, and leaves its title
   * and body as drafted. Safe to call again and from two integrators at once.
   */
  upsert(draft: PullRequestDraft, signal?: AbortSignal): Promise<PullRequestRef>;
}
