import type { Stats } from "node:fs";
import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";
import { MAX_LINK_TARGET_BYTES, parseRawDiff, type ChangeEntry } from "../../../shared/policy/index.js";
import { linkedGitDir } from "./git-dir.js";
import type { JobWorkspace } from "./job-workspace.js";
import { worktreeGit } from "./worktree-git.js";

/**
 * What `git add --all` would stage, read without staging anything, so the policy can refuse a
 * change before a single byte of it is hashed into .git/objects: every path git status reports
 * (untracked ones one by one, .gitignore'd ones left out), every path the index holds apart from
 * the base (commits or `git add`s a command made itself), and the worktree's own `.git` when a
 * command replaced it. Each path is lstat'ed without following symlinks on the way (a directory
 * swapped for a link cannot make it read outside the worktree).
 */
export async function inspectChanges(workspace: JobWorkspace, signal?: AbortSignal): Promise<ChangeEntry[]> {
  const { git, args } = worktreeGit(workspace, signal ? { signal } : {});
  const status = parseStatus(await git.raw(args("status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignored=no", "--no-renames", "--ignore-submodules=none")));
  const indexed = parseRawDiff(await git.raw(args("diff-index", "--cached", "-z", "--raw", "--no-renames", workspace.baseSha)));
  const gitlinksInIndex = new Set([...status.gitlinksInIndex, ...indexed.filter((entry) => entry.mode === "160000").map((entry) => entry.path)]);
  const paths = [...new Set([...status.paths, ...indexed.map((entry) => entry.path)])].sort();

  const look = pathLooker(workspace.path);
  const entries: ChangeEntry[] = [];
  for (const path of paths) entries.push(await look.entry(path, gitlinksInIndex.has(path)));
  const dotGit = await replacedDotGit(workspace, look);
  if (dotGit) entries.push(dotGit);
  return entries;
}

interface StatusPaths {
  paths: string[];
  /** Paths whose index entry is a gitlink (mode 160000). */
  gitlinksInIndex: string[];
}

/**
 * `git status --porcelain=v2 -z`: "1 XY sub mH mI mW hH hI path", "2 … Xscore path" + NUL +
 * original path, "u XY sub m1 m2 m3 mW h1 h2 h3 path", "? path"; an untracked nested
 * repository is "? dir/".
 */
export function parseStatus(listing: string): StatusPaths {
  const fields = listing.split("\0");
  const paths: string[] = [];
  const gitlinksInIndex: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const parts = field.split(" ");
    switch (field[0]) {
      case "1": {
        const path = parts.slice(8).join(" ");
        paths.push(path);
        if (parts[4] === "160000") gitlinksInIndex.push(path);
        break;
      }
      case "2":
        paths.push(parts.slice(9).join(" "), fields[++i] ?? "");
        break;
      case "u":
        paths.push(parts.slice(10).join(" "));
        break;
      case "?":
      case "!":
        paths.push(field.slice(2).replace(/\/$/, ""));
        break;
    }
  }
  return { paths: paths.filter(Boolean), gitlinksInIndex };
}

/** lstat of worktree paths, each ancestor checked once to be a real directory. */
function pathLooker(root: string) {
  const realDirectories = new Map<string, Promise<boolean>>();
  const isRealDirectory = (dir: string) => {
    let known = realDirectories.get(dir);
    if (!known) {
      known = lstat(join(root, dir)).then(
        (stats) => stats.isDirectory(),
        () => false,
      );
      realDirectories.set(dir, known);
    }
    return known;
  };
  return {
    async stats(path: string): Promise<Stats | undefined> {
      const parts = path.split("/");
      for (let depth = 1; depth < parts.length; depth++) {
        if (!(await isRealDirectory(parts.slice(0, depth).join("/")))) return undefined; // git sees no file behind a link or a file
      }
      return lstat(join(root, path)).catch(() => undefined);
    },
    /** The path as git would stage it. */
    async entry(path: string, gitlinkInIndex: boolean): Promise<ChangeEntry> {
      const stats = await this.stats(path);
      if (!stats) return { path, kind: "deleted", size: 0 };
      if (stats.isFile()) return { path, kind: stats.mode & 0o100 ? "executable" : "regular", size: stats.size };
      if (stats.isSymbolicLink()) {
        const target = await readlink(join(root, path), { encoding: "buffer" });
        return { path, kind: "symlink", size: target.length, linkTarget: target.length > MAX_LINK_TARGET_BYTES ? "" : target.toString("utf8") };
      }
      if (stats.isDirectory()) {
        // A directory git names is a nested repository (git would add it as a gitlink) or a gitlink
        // the index already holds; else its files are listed on their own and the path itself is gone.
        const nested = gitlinkInIndex || (await this.stats(`${path}/.git`)) !== undefined;
        return nested ? { path, kind: "gitlink", size: 0 } : { path, kind: "deleted", size: 0 };
      }
      return { path, kind: "special", size: 0 };
    },
  };
}

/**
 * The worktree's `.git` must still be the file naming the job's git directory. Git never stages
 * it, so a command that replaced it (with a directory of hooks, or a file pointing at another
 * repository) shows up only here; named as the path `.git`, the policy's forbidden globs catch it.
 */
async function replacedDotGit(workspace: JobWorkspace, look: ReturnType<typeof pathLooker>): Promise<ChangeEntry | undefined> {
  const stats = await look.stats(".git");
  if (stats?.isFile() && (await linkedGitDir(workspace.path).catch(() => "")) === workspace.gitDir) return undefined;
  return look.entry(".git", false);
}
