import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Resolves the repository's top level, or explains what to do when `path` is not inside a git repository. */
export async function requireGitRepo(path: string): Promise<string> {
  try {
    const { stdout } = await run("git", ["-C", path, "rev-parse", "--show-toplevel"]);
    return stdout.trim();
  } catch {
    throw new Error(`${path} is not a git repository: run PushPals inside one, pass --repo <dir>, or create one with \`git init\``);
  }
}
