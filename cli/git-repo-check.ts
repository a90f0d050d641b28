import { hostGit } from "../shared/git/host-git.js";

/** Resolves the repository's top level, or explains what to do when `path` is not inside a git repository. */
export async function requireGitRepo(path: string): Promise<string> {
  try {
    return await hostGit(path, ["rev-parse", "--show-toplevel"]);
  } catch {
    throw new Error(`${path} is not a git repository: run PushPals inside one, pass --repo <dir>, or create one with \`git init\``);
  }
}
