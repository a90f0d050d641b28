import { git } from "../git/run-git.js";

/** Paths git left unmerged in the worktree after a failed apply. */
export async function unmergedFiles(cwd: string): Promise<string[]> {
  const out = await git(cwd, ["diff", "--name-only", "--diff-filter=U", "-z"]);
  return [...new Set(out.split("\0").filter((path) => path !== ""))].sort();
}
