import { Code, ConnectError } from "@connectrpc/connect";
import { deadline } from "../../../shared/deadline.js";
import { z } from "zod";
import { errorMessage, failedPrecondition, unauthenticated, unavailable } from "../../../shared/errors.js";
import { parseOutsideText } from "../../../shared/outside-json.js";
import type { PullRequestDraft, PullRequestProvider, PullRequestRef } from "./provider.js";
import type { TokenSource } from "./token.js";

export interface GitHubOptions {
  /** https://api.github.com, or a GitHub Enterprise …/api/v3. */
  apiUrl: string;
  /** owner/name. */
  repository: string;
  token: TokenSource;
  timeoutMs?: number;
}

const API_VERSION = "2022-11-28";

/** The fields of GitHub's pull request object PushPals reads (the rest passes unchecked). */
const gitHubPull = z.object({
  number: z.number().int().positive(),
  html_url: z.string(),
  title: z.string(),
  body: z.string().nullable(),
});
type GitHubPull = z.infer<typeof gitHubPull>;
const gitHubError = z.object({
  message: z.string().optional(),
  errors: z.array(z.object({ message: z.string().optional() }).or(z.unknown().transform(() => ({ message: undefined })))).optional(),
});

/** A 2xx body read as `schema`; a body of another shape is Unavailable (a proxy, an API change). */
async function answer<T>(response: Response, schema: z.ZodType<T>, what: string): Promise<T> {
  try {
    return parseOutsideText(schema, await response.text(), `GitHub's ${what}`);
  } catch (error) {
    throw unavailable(`${errorMessage(error)}; check integration.pullRequests.apiUrl points at the GitHub REST API (it will be retried with the next merge)`);
  }
}

/**
 * GitHub's REST pulls API: list open by head and base, create, update. Two integrators
 * may race to create; GitHub answers the loser 422 ("A pull request already exists"),
 * which lists again and reuses the winner's.
 */
export function githubPullRequests(options: GitHubOptions): PullRequestProvider {
  const [owner = "", repo = ""] = options.repository.split("/");
  const api = options.apiUrl.replace(/\/+$/, "");
  const pulls = `${api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/pulls`;

  async function call(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: "application/vnd.github+json",
      Authorization: `Bearer ${await options.token()}`,
      "X-GitHub-Api-Version": API_VERSION,
      "User-Agent": "pushpals-integration",
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const limit = deadline(options.timeoutMs ?? 30_000, signal);
    try {
      return await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: limit.signal,
      });
    } catch (error) {
      throw unavailable(`GitHub ${method} ${url} did not answer (${(error as Error).message}); check integration.pullRequests.apiUrl and the network`);
    }
    // Not cleared here: the limit covers reading the body too; it lets go of `signal` when it fires.
  }

  async function findOpen(draft: PullRequestDraft, signal?: AbortSignal): Promise<GitHubPull | undefined> {
    const query = new URLSearchParams({ head: `${owner}:${draft.head}`, base: draft.base, state: "open", per_page: "10" });
    const response = await call("GET", `${pulls}?${query}`, undefined, signal);
    if (!response.ok) throw await apiError(response, "list pull requests of", options.repository);
    const list = await answer(response, z.array(gitHubPull), "list of pull requests");
    return list[0];
  }

  async function update(pull: GitHubPull, draft: PullRequestDraft, signal?: AbortSignal): Promise<PullRequestRef> {
    if (pull.title !== draft.title || (pull.body ?? "") !== draft.body) {
      const response = await call("PATCH", `${pulls}/${pull.number}`, { title: draft.title, body: draft.body }, signal);
      if (!response.ok) throw await apiError(response, `update pull request #${pull.number} of`, options.repository);
    }
    return { url: pull.html_url, number: pull.number, created: false };
  }

  return {
    name: "github",
    async upsert(draft, signal) {
      const open = await findOpen(draft, signal);
      if (open) return update(open, draft, signal);
      const response = await call("POST", pulls, { title: draft.title, head: draft.head, base: draft.base, body: draft.body }, signal);
      if (response.status === 422) {
        // Most likely another integrator opened it a moment ago; anything else surfaces below.
        const raced = await findOpen(draft, signal);
        if (raced) return update(raced, draft, signal);
      }
      if (!response.ok) throw await apiError(response, "open a pull request on", options.repository);
      const created = await answer(response, gitHubPull, "new pull request");
      return { url: created.html_url, number: created.number, created: true };
    },
  };
}

async function apiError(response: Response, action: string, repository: string): Promise<ConnectError> {
  const text = await response.text().catch(() => "");
  let message = text.slice(0, 300);
  try {
    const parsed = parseOutsideText(gitHubError, text, "GitHub's error");
    message = [parsed.message, ...(parsed.errors ?? []).map((e) => e.message)].filter(Boolean).join("; ");
  } catch {
    // Not JSON or not GitHub's error shape (a proxy's HTML page); the raw start says enough.
  }
  const what = `GitHub refused to ${action} ${repository} (HTTP ${response.status}: ${message || response.statusText})`;
  switch (response.status) {
    case 401:
      return unauthenticated(`${what}; the token is missing or expired: set PUSHPALS_GITHUB_TOKEN`);
    case 403:
    case 404:
      return failedPrecondition(`${what}; check integration.pullRequests.repository and that the token may write pull requests there`);
    case 422:
      return new ConnectError(`${what}; check that both branches exist on GitHub`, Code.FailedPrecondition);
    default:
      return unavailable(`${what}; it will be retried with the next merge`);
  }
}
