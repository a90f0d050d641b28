import { requireGitRepo } from "../git-repo-check.js";

/** The git repository around the working directory, or undefined outside one (for optional niceties only). */
export async function currentRepo(cwd = process.cwd()): Promise<string | undefined> {
  return requireGitRepo(cwd).catch(() => undefined);
}
