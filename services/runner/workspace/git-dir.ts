import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";

/**
 * The admin directory of a linked worktree, from its `.git` file ("gitdir: <path>"): a file read
 * instead of a git process, done right after the runner made the worktree, before anything ran
 * in it that could rewrite the file.
 */
export async function linkedGitDir(worktree: string): Promise<string> {
  const text = await readFile(resolve(worktree, ".git"), "utf8");
  const path = /^gitdir: (.+)$/m.exec(text)?.[1]?.trim();
  if (!path) throw new Error(`${worktree}/.git does not name a git directory; it is not a linked worktree`);
  return isAbsolute(path) ? path : resolve(worktree, path);
}
