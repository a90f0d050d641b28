import { deadline } from "../../shared/deadline.js";
import { errorMessage } from "../../shared/errors.js";
import { runHostGit } from "../../shared/git/host-git.js";
import { clipMiddle } from "../../shared/text/clip.js";

/** What the planner sees of the repository: a bounded file summary and git status. */
export interface RepoContext {
  treeSummary: string;
  gitStatus: string;
}

export interface RepoContextLimits {
  /** Paths listed by name (shallowest first); the rest are only counted. */
  maxPaths: number;
  maxStatusLines: number;
  maxChars: number;
}

export const DEFAULT_REPO_CONTEXT_LIMITS: RepoContextLimits = { maxPaths: 200, maxStatusLines: 50, maxChars: 8000 };
const GIT_TIMEOUT_MS = 10_000;

/**
 * Never fails: a missing or broken repository becomes a line the model reads, because a plan
 * for "what does this repository do?" is still worth making without it.
 */
export async function readRepoContext(repoPath: string, signal: AbortSignal, limits = DEFAULT_REPO_CONTEXT_LIMITS): Promise<RepoContext> {
  // The person's repository, read on the host: through the host git helper, like every other git.
  const git = async (args: string[]) => {
    const limit = deadline(GIT_TIMEOUT_MS, signal);
    try {
      return (await runHostGit(args, { cwd: repoPath, signal: limit.signal })).stdout;
    } finally {
      limit.clear();
    }
  };
  const [treeSummary, gitStatus] = await Promise.all([
    unavailableOnError(async () => summarizeTree(splitNul(await git(["ls-files", "-z"])), limits)),
    unavailableOnError(async () => summarizeStatus(await git(["status", "--porcelain=v1", "--branch"]), limits)),
  ]);
  return { treeSummary: clipMiddle(treeSummary, limits.maxChars), gitStatus: clipMiddle(gitStatus, limits.maxChars) };
}

export function summarizeTree(paths: readonly string[], limits: Pick<RepoContextLimits, "maxPaths">): string {
  if (paths.length === 0) return "(no tracked files)";
  const topLevel = new Map<string, number>();
  for (const path of paths) {
    const slash = path.indexOf("/");
    const entry = slash === -1 ? path : `${path.slice(0, slash)}/`;
    topLevel.set(entry, (topLevel.get(entry) ?? 0) + 1);
  }
  const entries = [...topLevel].sort(([a], [b]) => a.localeCompare(b)).map(([entry, count]) => (entry.endsWith("/") ? `${entry} (${count} files)` : entry));
  const shallowFirst = [...paths].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b)).slice(0, limits.maxPaths);
  const listed = shallowFirst.length < paths.length ? `${shallowFirst.length} of ${paths.length}, shallowest first` : "all";
  return [`${paths.length} tracked files`, `top level: ${entries.join(", ")}`, `paths (${listed}):`, ...shallowFirst].join("\n");
}

export function summarizeStatus(porcelain: string, limits: Pick<RepoContextLimits, "maxStatusLines">): string {
  const [branch, ...changes] = porcelain.split("\n").filter((line) => line !== "");
  const head = branch?.replace(/^## /, "branch ") ?? "branch unknown";
  if (changes.length === 0) return `${head}\n(clean working tree)`;
  const shown = changes.slice(0, limits.maxStatusLines);
  const more = changes.length > shown.length ? [`… and ${changes.length - shown.length} more changed paths`] : [];
  return [head, ...shown, ...more].join("\n");
}

function splitNul(output: string): string[] {
  return output.split("\0").filter((path) => path !== "");
}

function depth(path: string): number {
  return path.split("/").length;
}

async function unavailableOnError(read: () => Promise<string>): Promise<string> {
  try {
    return await read();
  } catch (error) {
    return `(unavailable: ${errorMessage(error).split("\n")[0]})`;
  }
}
