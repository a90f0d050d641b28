import { lstat, readFile } from "node:fs/promises";
import { join, posix, relative, resolve } from "node:path";

export interface Mount {
  host: string;
  /** Path inside the sandbox. */
  target: string;
  readOnly: boolean;
}

/**
 * How git works inside a sandbox that mounts a worktree at `workdir`: read-only.
 *
 * A linked worktree's `.git` is a file naming its admin dir (`<repo>/.git/worktrees/<name>`:
 * HEAD, index), whose `commondir` names the repository's `.git` (objects, refs, config, hooks).
 * Both are mounted at their host paths, so those absolute names resolve inside, and both are
 * read-only: `git status`, `diff`, `log` and `show` work, while `add`, `commit` or `checkout`
 * of another branch fail. The runner stages and commits outside the sandbox. Anything
 * writable there would be a way out: hooks or config run by the runner's own git on the host,
 * a HEAD pointed at another branch that the runner then commits to, or rewritten objects that
 * it pushes. For the same reason the `.git` file itself is pinned read-only (pointed elsewhere,
 * it would hand the runner a repository the command made). A `.git` directory inside the
 * worktree is mounted read-only too.
 */
export async function gitMounts(worktree: string, workdir: string): Promise<Mount[]> {
  const dotGit = join(worktree, ".git");
  const inside = posix.join(workdir, ".git");
  const kind = await lstat(dotGit).catch(() => undefined);
  if (kind?.isDirectory()) return [{ host: dotGit, target: inside, readOnly: true }];
  if (!kind?.isFile()) return [];
  const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(await readFile(dotGit, "utf8"));
  if (!pointer?.[1]) return [];
  const adminDir = resolve(worktree, pointer[1]);
  const commonDir = await readFile(join(adminDir, "commondir"), "utf8").then(
    (text) => resolve(adminDir, text.trim()),
    () => adminDir,
  );
  const mounts: Mount[] = [{ host: commonDir, target: commonDir, readOnly: true }];
  if (!isInside(adminDir, commonDir)) mounts.push({ host: adminDir, target: adminDir, readOnly: true });
  mounts.push({ host: dotGit, target: inside, readOnly: true });
  return mounts;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
}
